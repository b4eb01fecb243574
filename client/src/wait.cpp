// Client::wait_for_state: subscribe to the VM's PropertiesChanged, read State,
// then sleep until a signal says the state was reached.
#include "client_impl.h"
#include "errors_internal.h"
#include "event_pump.h"

#include <algorithm>
#include <array>

namespace banger::client {

namespace {

// Refusing unknown states up front beats waiting out the timeout on a typo.
constexpr std::array<std::string_view, 9> known_states{
    "creating", "created", "starting", "running", "paused", "suspended", "stopping", "stopped", "failed"};

// Records State changes of one VM, and whether its object was removed.
class VmWatch final : public sdbus::ProxyInterfaces<sdbus::Properties_proxy> {
 public:
  VmWatch(sdbus::IConnection& connection, std::string path, std::string target)
      : ProxyInterfaces(connection, bus::service_name, std::move(path)), target_(std::move(target)) {
    registerProxy();
  }
  ~VmWatch() { unregisterProxy(); }

  std::string state;
  bool reached = false;  // target seen at some moment since we subscribed
  bool reread = false;   // State was invalidated rather than sent

  void saw(const std::string& s) {
    state = s;
    reached = reached || s == target_;
  }

 private:
  void onPropertiesChanged(const std::string& interface,
                           const std::map<std::string, sdbus::Variant>& changed,
                           const std::vector<std::string>& invalidated) override {
    if (interface != bus::vm_interface) return;
    const auto it = changed.find("State");
    if (it != changed.end() && it->second.containsValueOfType<std::string>())
      saw(it->second.get<std::string>());
    else if (std::find(invalidated.begin(), invalidated.end(), "State") != invalidated.end())
      reread = true;
  }

  std::string target_;
};

// Notices the VM object disappearing (deleted, or a failed create).
class RemovalWatch final : public sdbus::ProxyInterfaces<sdbus::ObjectManager_proxy> {
 public:
  RemovalWatch(sdbus::IConnection& connection, std::string vm_path)
      : ProxyInterfaces(connection, bus::service_name, bus::root_path), vm_path_(std::move(vm_path)) {
    registerProxy();
  }
  ~RemovalWatch() { unregisterProxy(); }

  bool removed = false;

 private:
  void onInterfacesAdded(const sdbus::ObjectPath&,
                         const std::map<std::string, std::map<std::string, sdbus::Variant>>&) override {}
  void onInterfacesRemoved(const sdbus::ObjectPath& path, const std::vector<std::string>& interfaces) override {
    if (path == vm_path_ &&
        std::find(interfaces.begin(), interfaces.end(), bus::vm_interface) != interfaces.end())
      removed = true;
  }

  std::string vm_path_;
};

}  // namespace

void Client::Impl::wait_for_state(const std::string& ref, const std::string& state,
                                  std::chrono::milliseconds timeout) {
  if (std::find(known_states.begin(), known_states.end(), state) == known_states.end())
    throw Error(ErrorCode::usage, {},
                "unknown state '" + state +
                    "' (expected creating, created, starting, running, stopping, stopped or failed)");
  const auto deadline = detail::deadline_after(timeout);
  const std::string path = resolve(ref);

  // Order matters: subscribe, then read, so no transition falls in between.
  detail::OwnerWatch owner(*connection);
  RemovalWatch removal(*connection, path);
  VmWatch vm(*connection, path, state);
  auto read_state = [&] {
    vm.reread = false;
    vm.saw(vm.Get(bus::vm_interface, "State").get<std::string>());
  };
  read_state();

  for (;;) {
    const bool woke = detail::pump_until(*connection, deadline, [&] {
      return vm.reached || vm.reread || removal.removed || owner.gone();
    });
    if (vm.reached) return;
    if (removal.removed) throw Error(ErrorCode::not_found, {}, "the VM was deleted while waiting");
    if (owner.gone()) throw Error(ErrorCode::unreachable, {}, "bangerd left the bus while waiting");
    if (!woke) throw detail::timeout_error("state " + state + " (state is " + vm.state + ")", timeout);
    read_state();
  }
}

}  // namespace banger::client
