// Client::create_vm: CreateVM, then follow the returned Operation to its end.
#include "client_impl.h"
#include "dev.banger.banger1.Operation_proxy.h"
#include "errors_internal.h"
#include "event_pump.h"


namespace banger::client {

namespace {

// Subscribes to the Operation's Finished and PropertiesChanged signals on
// construction; handlers only record what they saw.
class OperationWatch final
    : public sdbus::ProxyInterfaces<dev::banger::banger1::Operation_proxy, sdbus::Properties_proxy> {
 public:
  OperationWatch(sdbus::IConnection& connection, std::string path)
      : ProxyInterfaces(connection, bus::service_name, std::move(path)) {
    registerProxy();
  }
  ~OperationWatch() { unregisterProxy(); }

  bool done = false;
  bool finished_signal = false;
  std::string error;  // "<dbus error name>: <message>", empty on success
  std::string stage;
  double progress = 0.0;
  bool progress_changed = false;

  void apply(const std::map<std::string, sdbus::Variant>& props) {
    auto read = [&props](const char* key, auto& out) {
      const auto it = props.find(key);
      using T = std::decay_t<decltype(out)>;
      if (it == props.end() || !it->second.containsValueOfType<T>()) return false;
      out = it->second.get<T>();
      return true;
    };
    bool now_done = false;
    if (read("Done", now_done) && now_done) done = true;  // never un-done
    if (!finished_signal) read("Error", error);
    // A signal queued before our GetAll reply may carry older progress; the
    // contract's progress only grows, so ignore anything that goes backwards.
    double p = progress;
    std::string s = stage;
    const bool got_p = read("Progress", p);
    const bool got_s = read("Stage", s);
    if ((got_p || got_s) && p >= progress) {
      progress_changed = progress_changed || p != progress || s != stage;
      progress = p;
      stage = s;
    }
  }

 private:
  void onFinished(const bool& success, const std::string& err) override {
    done = true;
    finished_signal = true;
    error = success ? std::string() : (err.empty() ? std::string("operation failed") : err);
  }
  void onPropertiesChanged(const std::string& interface,
                           const std::map<std::string, sdbus::Variant>& changed,
                           const std::vector<std::string>&) override {
    if (interface == bus::operation_interface) apply(changed);
  }
};

}  // namespace

VmInfo Client::Impl::create_vm(const std::string& name, const CreateOptions& options,
                               const ProgressCallback& progress, std::chrono::milliseconds timeout) {
  // Keys as the CreateVM contract names them.
  std::map<std::string, sdbus::Variant> args;
  if (options.vcpus) args.emplace("vcpus", sdbus::Variant(*options.vcpus));
  if (options.memory_mib) args.emplace("memory", sdbus::Variant(*options.memory_mib));
  if (options.image) args.emplace("image", sdbus::Variant(*options.image));
  if (options.backend) args.emplace("backend", sdbus::Variant(*options.backend));

  const auto [vm_path, op_path] = manager->CreateVM(name, args);
  const auto deadline = detail::deadline_after(timeout);

  // Subscribe before reading: the operation may finish at any moment, and a
  // Finished emitted before the match existed would be lost. The object
  // lingers after finishing, so reading Done afterwards closes that gap.
  detail::OwnerWatch owner(*connection);
  OperationWatch op(*connection, op_path);
  op.apply(op.GetAll(bus::operation_interface));

  auto report = [&] {
    if (progress && op.progress_changed) progress(op.stage, op.progress);
    op.progress_changed = false;
  };
  op.progress_changed = true;
  report();

  const bool done = detail::pump_until(
      *connection, deadline, [&] { return op.done || owner.changed(); }, report);
  if (!done)
    throw detail::timeout_error(
        "the VM to be created" + (op.stage.empty() ? std::string() : " (stage: " + op.stage + ")"),
        timeout);
  if (!op.done)
    throw Error(ErrorCode::unreachable, {}, "bangerd left the bus while creating the VM");

  // Done may have arrived by PropertiesChanged before Error did; the lingering
  // object holds the final value.
  if (!op.finished_signal) op.apply(op.GetAll(bus::operation_interface));
  if (!op.error.empty()) throw detail::from_operation_error(op.error);
  return read_vm(vm_path);
}

}  // namespace banger::client
