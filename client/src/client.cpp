#include "banger/client.h"

#include "banger_build_config.h"
#include "client_impl.h"
#include "errors_internal.h"
#include "interactive_auth.h"

#include <algorithm>
#include <functional>
#include <tuple>

namespace banger::client {

using detail::translate;

std::string Client::Impl::resolve(const std::string& ref) {
  if (ref.empty()) throw Error(ErrorCode::usage, {}, "empty VM reference");
  return manager->GetVM(ref);
}

VmInfo Client::Impl::read_vm(const std::string& path) {
  VmProxy vm(*connection, path);
  return vm_from_properties(path, vm.GetAll(bus::vm_interface));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;
Client::~Client() = default;

Client Client::connect(const ConnectOptions& options) {
  auto impl = std::make_unique<Impl>();
  try {
    impl->connection = sdbus::createSystemBusConnection();
  } catch (const sdbus::Error& e) {
    throw Error(ErrorCode::unreachable, e.getName(),
                "cannot connect to the system bus: " + e.getMessage());
  }
  translate([&] {
    if (options.allow_interactive_authorization)
      detail::allow_interactive_authorization(*impl->connection);
    impl->manager = std::make_unique<ManagerProxy>(*impl->connection);
  });
  return Client(std::move(impl));
}

std::string Client::daemon_version() {
  std::lock_guard lock(impl_->mutex);
  return translate([&] { return impl_->manager->Version(); });
}

std::vector<DoctorCheck> Client::doctor() {
  std::lock_guard lock(impl_->mutex);
  return translate([&] {
    std::vector<DoctorCheck> out;
    for (const auto& c : impl_->manager->Doctor())
      out.push_back({c.get<0>(), c.get<1>(), c.get<2>(), c.get<3>(), c.get<4>()});
    return out;
  });
}

std::vector<VmInfo> Client::list_vms() {
  std::lock_guard lock(impl_->mutex);
  // One round trip for every VM with all its properties, instead of
  // ListVMs followed by a GetAll per VM.
  return translate(
      [&] { return managed_objects<VmInfo>(*impl_->manager, bus::vm_interface, vm_from_properties); });
}

VmInfo Client::get_vm(const std::string& ref) {
  std::lock_guard lock(impl_->mutex);
  return translate([&] { return impl_->read_vm(impl_->resolve(ref)); });
}

VmInfo Client::create_vm(const std::string& name, const CreateOptions& options,
                         const ProgressCallback& progress, std::chrono::milliseconds timeout) {
  std::lock_guard lock(impl_->mutex);
  return translate([&] { return impl_->create_vm(name, options, progress, timeout); });
}

VmInfo Client::clone_vm(const std::string& ref, const std::string& new_name, const ProgressCallback& progress,
                        std::chrono::milliseconds timeout) {
  std::lock_guard lock(impl_->mutex);
  return translate([&] { return impl_->clone_vm(ref, new_name, progress, timeout); });
}

void Client::Impl::on_vm(const std::string& ref, const std::function<void(VmProxy&)>& call) {
  std::lock_guard lock(mutex);
  translate([&] {
    VmProxy vm(*connection, resolve(ref));
    call(vm);
  });
}

void Client::start(const std::string& ref, bool fresh) {
  impl_->on_vm(ref, [fresh](VmProxy& vm) {
    if (fresh)
      vm.StartWith({{"fresh", sdbus::Variant(true)}});
    else
      vm.Start();
  });
}

void Client::stop(const std::string& ref, bool force) {
  impl_->on_vm(ref, [force](VmProxy& vm) { vm.Stop(force); });
}

void Client::restart(const std::string& ref) {
  impl_->on_vm(ref, [](VmProxy& vm) { vm.Restart(); });
}

void Client::pause(const std::string& ref) {
  impl_->on_vm(ref, [](VmProxy& vm) { vm.Pause(); });
}

void Client::resume(const std::string& ref) {
  impl_->on_vm(ref, [](VmProxy& vm) { vm.Resume(); });
}

void Client::suspend(const std::string& ref) {
  impl_->on_vm(ref, [](VmProxy& vm) { vm.Suspend(); });
}

void Client::kill(const std::string& ref) {
  impl_->on_vm(ref, [](VmProxy& vm) { vm.Kill(); });
}

void Client::remove(const std::string& ref) {
  impl_->on_vm(ref, [](VmProxy& vm) { vm.Delete(); });
}

void Client::touch(const std::string& ref) {
  impl_->on_vm(ref, [](VmProxy& vm) { vm.Touch(); });
}

void Client::set(const std::string& ref, const VmChanges& changes) {
  // Keys as the VM.Set contract names them.
  std::map<std::string, sdbus::Variant> args;
  if (changes.name) args.emplace("name", sdbus::Variant(*changes.name));
  if (changes.vcpus) args.emplace("vcpus", sdbus::Variant(*changes.vcpus));
  if (changes.memory_mib) args.emplace("memory", sdbus::Variant(*changes.memory_mib));
  if (changes.disk_mib) args.emplace("disk", sdbus::Variant(*changes.disk_mib));
  if (changes.work_disk_mib) args.emplace("work_disk", sdbus::Variant(*changes.work_disk_mib));
  if (changes.keep_work_disk) args.emplace("keep_work_disk", sdbus::Variant(*changes.keep_work_disk));
  if (changes.forward_ports) args.emplace("forward_ports", sdbus::Variant(*changes.forward_ports));
  if (changes.autostart) args.emplace("autostart", sdbus::Variant(*changes.autostart));
  if (changes.idle_suspend_s) args.emplace("idle_suspend", sdbus::Variant(*changes.idle_suspend_s));
  if (args.empty()) throw Error(ErrorCode::usage, {}, "nothing to change");
  impl_->on_vm(ref, [&args](VmProxy& vm) { vm.VM_proxy::Set(args); });
}

void Client::wait_for_state(const std::string& ref, const std::string& state,
                            std::chrono::milliseconds timeout) {
  std::lock_guard lock(impl_->mutex);
  translate([&] { impl_->wait_for_state(ref, state, timeout); });
}

const char* library_version() noexcept { return BANGER_VERSION; }

}  // namespace banger::client
