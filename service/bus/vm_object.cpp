#include "bus/vm_object.h"

#include "banger/bus_names.h"
#include "bus/live_object.h"
#include "bus/removal_signal.h"
#include "banger/object_path.h"
#include "bus/operation_request.h"
#include "bus/options.h"
#include "bus/request.h"
#include "bus/vm_keys_methods.h"
#include "bus/vm_forward_methods.h"
#include "bus/vm_console_methods.h"
#include "bus/workspace_methods.h"
#include "core/console_logs.h"
#include "core/network.h"
#include "core/vm_manager.h"

namespace banger {

VmObject::VmObject(BusContext& ctx, VmRecord vm, VmNetworkProperties network)
    : AdaptorInterfaces(ctx.connection, bus::vm_path(vm.id)), ctx_(ctx), vm_(std::move(vm)), network_(std::move(network)) {
  registerAdaptor();
  getObject().emitInterfacesAddedSignal();
}

VmObject::~VmObject() { unregisterAdaptor(); }

void VmObject::announce_removal() { announce_removed(getObject()); }

std::vector<std::string> VmObject::network_changes(const VmNetworkProperties& network) const {
  std::vector<std::string> changed;
  if (network.network != network_.network) changed.emplace_back("Network");
  if (network.ipv4_address != network_.ipv4_address) changed.emplace_back("IPv4Address");
  if (network.mac_address != network_.mac_address) changed.emplace_back("MACAddress");
  if (network.tap_device != network_.tap_device) changed.emplace_back("TapDevice");
  if (network.dns_name != network_.dns_name) changed.emplace_back("DNSName");
  return changed;
}

void VmObject::update_network(VmNetworkProperties network) {
  auto changed = network_changes(network);
  network_ = std::move(network);
  if (!changed.empty()) getObject().emitPropertiesChangedSignal(bus::vm_interface, changed);
}

void VmObject::update_authorized_keys(std::vector<AuthorizedKeyInfo> keys) {
  if (keys == authorized_keys_) return;
  authorized_keys_ = std::move(keys);
  getObject().emitPropertiesChangedSignal(bus::vm_interface, {"AuthorizedKeys"});
}

std::vector<sdbus::Struct<std::string, std::string>> VmObject::AuthorizedKeys() {
  std::vector<sdbus::Struct<std::string, std::string>> out;
  for (const auto& key : authorized_keys_) out.emplace_back(key.fingerprint, key.comment);
  return out;
}

void VmObject::update_stats(const stats::VmStats& stats) {
  auto changed = stats::stats_changes(stats_, stats);
  stats_ = stats;
  stats_at_ = std::chrono::steady_clock::now();
  if (!changed.empty()) getObject().emitPropertiesChangedSignal(bus::vm_interface, changed);
}

stats::VmStats VmObject::current_stats() const {
  // The poller signals Uptime only with other changes; between those it still counts.
  stats::VmStats now = stats_;
  if (now.uptime_s > 0)
    now.uptime_s += static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - stats_at_).count());
  return now;
}

void VmObject::update_ports(std::vector<GuestPort> ports) {
  if (ports == ports_) return;
  ports_ = std::move(ports);
  getObject().emitPropertiesChangedSignal(bus::vm_interface, std::vector<std::string>{"Ports"});
}

void VmObject::update_forwards(std::vector<PortForward> forwards) {
  if (forwards == forwards_) return;
  forwards_ = std::move(forwards);
  getObject().emitPropertiesChangedSignal(bus::vm_interface, std::vector<std::string>{"Forwards"});
}

void VmObject::update(const VmRecord& vm, std::string_view reason, VmNetworkProperties network) {
  std::vector<std::string> changed = network_changes(network);
  network_ = std::move(network);
  if (vm.name != vm_.name) changed.emplace_back("Name");
  if (vm.state != vm_.state) changed.emplace_back("State");
  if (vm.vcpus != vm_.vcpus) changed.emplace_back("VCPUs");
  if (vm.memory_mib != vm_.memory_mib) changed.emplace_back("MemoryMiB");
  if (vm.image != vm_.image) changed.emplace_back("Image");
  if (vm.disk_mib != vm_.disk_mib) changed.emplace_back("DiskMiB");
  if (vm.root_disk_strategy != vm_.root_disk_strategy) changed.emplace_back("RootDiskStrategy");
  if (vm.work_disk_mib != vm_.work_disk_mib) changed.emplace_back("WorkDiskMiB");
  if (vm.keep_work_disk != vm_.keep_work_disk) changed.emplace_back("KeepWorkDisk");
  if (vm.forward_ports != vm_.forward_ports) changed.emplace_back("ForwardPorts");
  if (vm.autostart != vm_.autostart) changed.emplace_back("Autostart");
  if (vm.last_error != vm_.last_error) changed.emplace_back("LastError");
  if (vm.updated_at_us != vm_.updated_at_us) changed.emplace_back("UpdatedAt");
  VmState old_state = vm_.state;
  vm_ = vm;
  if (changed.empty()) return;
  getObject().emitPropertiesChangedSignal(bus::vm_interface, changed);
  if (old_state != vm_.state)
    emitStateChanged(std::string(to_string(old_state)), std::string(to_string(vm_.state)), std::string(reason));
}

Caller VmObject::current_caller() const { return caller_of(*getObject().getCurrentlyProcessedMessage()); }

const char* VmObject::action_for(const Caller& caller) const {
  return caller.uid == vm_.owner_uid ? bus::action::manage_own_vms : bus::action::manage_vms;
}

std::map<std::string, std::string> VmObject::details(const char* verb) const {
  return {{"vm", vm_.name}, {"vm_id", vm_.id}, {"verb", verb}};
}

void VmObject::act(sdbus::Result<>&& result, const Caller& caller, const char* verb,
                   std::function<void(VmManager&)> work) {
  authorize_and_run(ctx_, std::move(result), caller, action_for(caller), details(verb),
                    [&vms = ctx_.vms, work] {
                      work(vms);
                      return std::tuple<>();
                    },
                    alive_or_gone(*this, ErrorKind::no_such_vm));
}

void VmObject::start(sdbus::Result<>&& result, const Caller& caller) {
  act(std::move(result), caller, "start", [id = vm_.id](VmManager& m) { m.start(id); });
}

void VmObject::stop(sdbus::Result<>&& result, const Caller& caller, bool force) {
  act(std::move(result), caller, "stop", [id = vm_.id, force](VmManager& m) { m.stop(id, force); });
}

void VmObject::remove(sdbus::Result<>&& result, const Caller& caller) {
  act(std::move(result), caller, "delete", [id = vm_.id](VmManager& m) { m.remove(id); });
}

void VmObject::Start(sdbus::Result<>&& result) { start(std::move(result), current_caller()); }

void VmObject::Stop(sdbus::Result<>&& result, bool force) { stop(std::move(result), current_caller(), force); }

void VmObject::Restart(sdbus::Result<>&& result) {
  act(std::move(result), current_caller(), "restart", [id = vm_.id](VmManager& m) { m.restart(id); });
}

void VmObject::Kill(sdbus::Result<>&& result) {
  act(std::move(result), current_caller(), "kill", [id = vm_.id](VmManager& m) { m.kill(id); });
}

void VmObject::Delete(sdbus::Result<>&& result) { remove(std::move(result), current_caller()); }

void VmObject::Set(sdbus::Result<>&& result, std::map<std::string, sdbus::Variant> changes) {
  VmChanges parsed;
  if (!validated(result, [&] { parsed = parse_changes(to_option_map(changes), ctx_.limits); })) return;
  act(std::move(result), current_caller(), "set", [id = vm_.id, parsed](VmManager& m) { m.set(id, parsed); });
}

void VmObject::Clone(sdbus::Result<sdbus::ObjectPath, sdbus::ObjectPath>&& result, std::string new_name) {
  const auto caller = current_caller();
  if (!validated(result, [&] { validate_vm_name(new_name); })) return;
  using Reply = sdbus::Result<sdbus::ObjectPath, sdbus::ObjectPath>;
  auto create = [&ctx = ctx_, caller, source = vm_.id, new_name,
                 self = alive_or_gone(*this, ErrorKind::no_such_vm)](Reply&& reply) {
    auto id = std::make_shared<std::string>();
    authorize_and_start_operation(
        ctx, std::move(reply), caller, bus::action::create_vm, {{"vm", new_name}, {"verb", "clone"}}, "clone-vm",
        // `self`: the reply goes out on the bus thread after this job; the source's object must still be there.
        [&ctx, source, new_name, uid = caller.uid, id, self] {
          *id = ctx.vms.begin_clone(source, new_name, uid).id;
          return bus::vm_path(*id);
        },
        [&ctx, source, id](ProgressSink& progress) { ctx.vms.finish_clone(*id, source, progress); });
  };
  // The copy joins the source's network: a network other than "default" needs
  // use-network for the copy, as CreateVM asks it (issue 17, extra B).
  auto network_then_create = [&ctx = ctx_, caller, network = vm_.network, new_name, create](Reply&& reply) {
    if (network.empty() || network == default_network_name) {
      create(std::move(reply));
      return;
    }
    auto held = std::make_shared<Reply>(std::move(reply));
    ctx.authorizer.check(caller, bus::action::use_network, {{"network", network}, {"vm", new_name}},
                         [held, create](std::exception_ptr denied) {
                           if (denied)
                             held->returnError(to_bus_error(denied));
                           else
                             create(std::move(*held));
                         });
  };
  // First the right to this VM (as for its other verbs), then to its network, then to create one.
  auto reply = std::make_shared<Reply>(std::move(result));
  ctx_.authorizer.check(caller, action_for(caller), details("clone"),
                        [reply, network_then_create](std::exception_ptr denied) {
                          if (denied)
                            reply->returnError(to_bus_error(denied));
                          else
                            network_then_create(std::move(*reply));
                        });
}

void VmObject::Touch(sdbus::Result<>&& result) {
  act(std::move(result), current_caller(), "touch", [id = vm_.id](VmManager& m) { m.touch(id); });
}

void VmObject::ReadConsole(sdbus::Result<std::vector<uint8_t>, uint64_t>&& result, uint64_t offset,
                           uint32_t max_bytes) {
  if (!validated(result, [max_bytes] { check_console_read_size(max_bytes); })) return;
  const Caller caller = current_caller();
  // No VM lock: the log is only read, and a log that vanishes meanwhile reads empty.
  authorize_and_run(ctx_, std::move(result), caller, action_for(caller), details("readconsole"),
                    [&consoles = ctx_.consoles, id = vm_.id, offset, max_bytes] {
                      auto chunk = consoles.read(id, offset, max_bytes);
                      return std::tuple(std::vector<uint8_t>(chunk.data.begin(), chunk.data.end()),
                                        chunk.next_offset);
                    },
                    alive_or_gone(*this, ErrorKind::no_such_vm));
}

void VmObject::OpenConsole(sdbus::Result<sdbus::UnixFd>&& result) {
  const Caller caller = current_caller();
  open_console(ctx_, std::move(result), caller, action_for(caller), details("openconsole"), vm_.id,
               alive_or_gone(*this, ErrorKind::no_such_vm));
}

void VmObject::PushWorkspace(sdbus::Result<sdbus::ObjectPath>&& result, sdbus::UnixFd archive,
                             std::map<std::string, sdbus::Variant> options) {
  const Caller caller = current_caller();
  push_workspace(ctx_, std::move(result), caller, action_for(caller), details("pushworkspace"), vm_.id,
                 std::move(archive), options);
}

void VmObject::PullWorkspace(sdbus::Result<sdbus::ObjectPath>&& result, sdbus::UnixFd archive,
                             std::map<std::string, sdbus::Variant> options) {
  const Caller caller = current_caller();
  pull_workspace(ctx_, std::move(result), caller, action_for(caller), details("pullworkspace"), vm_.id,
                 std::move(archive), options);
}

void VmObject::AddAuthorizedKeys(sdbus::Result<>&& result, std::vector<std::string> keys) {
  const Caller caller = current_caller();
  add_authorized_keys(ctx_, std::move(result), caller, action_for(caller), details("addauthorizedkeys"), vm_.id, keys,
                      alive_or_gone(*this, ErrorKind::no_such_vm));
}

void VmObject::RemoveAuthorizedKeys(sdbus::Result<>&& result, std::vector<std::string> fingerprints) {
  const Caller caller = current_caller();
  remove_authorized_keys(ctx_, std::move(result), caller, action_for(caller), details("removeauthorizedkeys"), vm_.id,
                         fingerprints, alive_or_gone(*this, ErrorKind::no_such_vm));
}

void VmObject::ForwardPort(sdbus::Result<>&& result, std::string protocol, uint16_t host_port, uint16_t guest_port) {
  const Caller caller = current_caller();
  forward_port(ctx_, std::move(result), caller, action_for(caller), details("forwardport"), vm_.id, protocol,
               host_port, guest_port, alive_or_gone(*this, ErrorKind::no_such_vm));
}

void VmObject::RemoveForward(sdbus::Result<>&& result, std::string protocol, uint16_t host_port) {
  const Caller caller = current_caller();
  remove_forward(ctx_, std::move(result), caller, action_for(caller), details("removeforward"), vm_.id, protocol,
                 host_port, alive_or_gone(*this, ErrorKind::no_such_vm));
}

}  // namespace banger
