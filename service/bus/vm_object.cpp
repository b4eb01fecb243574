#include "bus/vm_object.h"

#include <fmt/format.h>

#include "core/errors.h"

#include "banger/bus_names.h"
#include "bus/clone_request.h"
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
    : AdaptorInterfaces(ctx.connection, bus::vm_path(vm.id)), ctx_(ctx) {
  shown_.vm = std::move(vm);
  shown_.network = std::move(network);
  registerAdaptor();
  getObject().emitInterfacesAddedSignal();
}

VmObject::~VmObject() { unregisterAdaptor(); }

void VmObject::announce_removal() { announce_removed(getObject()); }

void VmObject::change(VmShown next, std::string_view reason) {
  const auto changed = properties::VM::table.changed(view_of(shown_, shown_.stats), view_of(next, next.stats));
  const VmState old_state = shown_.vm.state;
  shown_ = std::move(next);
  if (changed.empty()) return;
  getObject().emitPropertiesChangedSignal(bus::vm_interface, changed);
  if (old_state != shown_.vm.state)
    emitStateChanged(std::string(to_string(old_state)), std::string(to_string(shown_.vm.state)), std::string(reason));
}

template <typename Part>
void VmObject::change_part(Part VmShown::*part, Part value) {
  VmShown next = shown_;
  next.*part = std::move(value);
  change(std::move(next));
}

void VmObject::update(const VmRecord& vm, std::string_view reason, VmNetworkProperties network) {
  VmShown next = shown_;
  next.vm = vm;
  next.network = std::move(network);
  change(std::move(next), reason);
}

void VmObject::update_network(VmNetworkProperties network) { change_part(&VmShown::network, std::move(network)); }

void VmObject::update_authorized_keys(std::vector<AuthorizedKeyInfo> keys) { change_part(&VmShown::keys, std::move(keys)); }

void VmObject::update_stats(const stats::VmStats& stats) {
  stats_at_ = std::chrono::steady_clock::now();
  if (stats::stats_changes(shown_.stats, stats).empty()) {
    // Uptime alone is not worth a signal (stats_changes); a Get still reads it.
    shown_.stats = stats;
    return;
  }
  change_part(&VmShown::stats, stats);
}

stats::VmStats VmObject::current_stats() const {
  // The poller signals Uptime only with other changes; between those it still counts.
  stats::VmStats now = shown_.stats;
  if (now.uptime_s > 0)
    now.uptime_s += static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - stats_at_).count());
  return now;
}

void VmObject::update_ports(std::vector<GuestPort> ports) { change_part(&VmShown::ports, std::move(ports)); }

void VmObject::update_forwards(std::vector<PortForward> forwards) { change_part(&VmShown::forwards, std::move(forwards)); }

Caller VmObject::current_caller() const { return caller_of(*getObject().getCurrentlyProcessedMessage()); }

const char* VmObject::action_for(const Caller& caller) const {
  return caller.uid == shown_.vm.owner_uid ? bus::action::manage_own_vms : bus::action::manage_vms;
}

std::map<std::string, std::string> VmObject::details(const char* verb) const {
  return {{"vm", shown_.vm.name}, {"vm_id", shown_.vm.id}, {"verb", verb}};
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
  act(std::move(result), caller, "start", [id = shown_.vm.id](VmManager& m) { m.start(id); });
}

void VmObject::stop(sdbus::Result<>&& result, const Caller& caller, bool force) {
  act(std::move(result), caller, "stop", [id = shown_.vm.id, force](VmManager& m) { m.stop(id, force); });
}

void VmObject::remove(sdbus::Result<>&& result, const Caller& caller) {
  act(std::move(result), caller, "delete", [id = shown_.vm.id](VmManager& m) { m.remove(id); });
}

void VmObject::Start(sdbus::Result<>&& result) { start(std::move(result), current_caller()); }

void VmObject::StartWith(sdbus::Result<>&& result, std::map<std::string, sdbus::Variant> options) {
  StartOptions parsed;
  if (!validated(result, [&] { parsed = parse_start_options(to_option_map(options)); })) return;
  act(std::move(result), current_caller(), "start", [id = shown_.vm.id, parsed](VmManager& m) { m.start(id, parsed); });
}

void VmObject::Stop(sdbus::Result<>&& result, bool force) { stop(std::move(result), current_caller(), force); }

void VmObject::Restart(sdbus::Result<>&& result) {
  act(std::move(result), current_caller(), "restart", [id = shown_.vm.id](VmManager& m) { m.restart(id); });
}

void VmObject::Kill(sdbus::Result<>&& result) {
  act(std::move(result), current_caller(), "kill", [id = shown_.vm.id](VmManager& m) { m.kill(id); });
}

void VmObject::Pause(sdbus::Result<>&& result) {
  act(std::move(result), current_caller(), "pause", [id = shown_.vm.id](VmManager& m) { m.pause(id); });
}

void VmObject::Resume(sdbus::Result<>&& result) {
  act(std::move(result), current_caller(), "resume", [id = shown_.vm.id](VmManager& m) { m.resume(id); });
}

void VmObject::Suspend(sdbus::Result<>&& result) {
  act(std::move(result), current_caller(), "suspend", [id = shown_.vm.id](VmManager& m) { m.suspend(id); });
}

void VmObject::Delete(sdbus::Result<>&& result) { remove(std::move(result), current_caller()); }

void VmObject::Set(sdbus::Result<>&& result, std::map<std::string, sdbus::Variant> changes) {
  VmChanges parsed;
  if (!validated(result, [&] { parsed = parse_changes(to_option_map(changes), ctx_.limits); })) return;
  act(std::move(result), current_caller(), "set", [id = shown_.vm.id, parsed](VmManager& m) { m.set(id, parsed); });
}

void VmObject::Clone(sdbus::Result<sdbus::ObjectPath, sdbus::ObjectPath>&& result, std::string new_name) {
  if (!validated(result, [&] { validate_vm_name(new_name); })) return;
  authorize_and_clone(
      ctx_, std::move(result), current_caller(), shown_.vm, details("clone"), new_name,
      // `self`: the reply goes out on the bus thread after this job; the source's object must still be there.
      [&ctx = ctx_, source = shown_.vm.id, new_name, self = alive_or_gone(*this, ErrorKind::no_such_vm)](
          std::uint32_t uid) { return ctx.vms.begin_clone(source, new_name, uid).id; },
      [&ctx = ctx_, source = shown_.vm.id](const std::string& id, ProgressSink& progress) {
        ctx.vms.finish_clone(id, source, progress);
      });
}

void VmObject::Snapshot(sdbus::Result<sdbus::ObjectPath, sdbus::ObjectPath>&& result, std::string name,
                        std::map<std::string, sdbus::Variant> options) {
  if (!validated(result, [&] {
        validate_snapshot_name(name);
        if (!options.empty())
          throw Error(ErrorKind::invalid_args,
                      fmt::format("unknown option '{}': VM.Snapshot takes none yet", options.begin()->first));
      }))
    return;
  auto details = this->details("snapshot");
  details["snapshot"] = name;
  auto planned = std::make_shared<SnapshotRecord>();
  authorize_and_start_operation(
      ctx_, std::move(result), current_caller(), action_for(current_caller()), std::move(details), "snapshot-vm",
      // `self`: the reply goes out on the bus thread after this job; the VM's object must still be there.
      [&ctx = ctx_, id = shown_.vm.id, name, planned, self = alive_or_gone(*this, ErrorKind::no_such_vm)] {
        *planned = ctx.vms.plan_snapshot(id, name);
        return bus::snapshot_path(planned->vm_id, planned->id);
      },
      [&ctx = ctx_, planned](ProgressSink& progress) { ctx.vms.take_snapshot(*planned, progress); });
}

void VmObject::Touch(sdbus::Result<>&& result) {
  act(std::move(result), current_caller(), "touch", [id = shown_.vm.id](VmManager& m) { m.touch(id); });
}

void VmObject::ReadConsole(sdbus::Result<std::vector<uint8_t>, uint64_t>&& result, uint64_t offset,
                           uint32_t max_bytes) {
  if (!validated(result, [max_bytes] { check_console_read_size(max_bytes); })) return;
  const Caller caller = current_caller();
  // No VM lock: the log is only read, and a log that vanishes meanwhile reads empty.
  authorize_and_run(ctx_, std::move(result), caller, action_for(caller), details("readconsole"),
                    [&consoles = ctx_.consoles, id = shown_.vm.id, offset, max_bytes] {
                      auto chunk = consoles.read(id, offset, max_bytes);
                      return std::tuple(std::vector<uint8_t>(chunk.data.begin(), chunk.data.end()),
                                        chunk.next_offset);
                    },
                    alive_or_gone(*this, ErrorKind::no_such_vm));
}

void VmObject::OpenConsole(sdbus::Result<sdbus::UnixFd>&& result) {
  const Caller caller = current_caller();
  open_console(ctx_, std::move(result), caller, action_for(caller), details("openconsole"), shown_.vm.id,
               alive_or_gone(*this, ErrorKind::no_such_vm));
}

void VmObject::PushWorkspace(sdbus::Result<sdbus::ObjectPath>&& result, sdbus::UnixFd archive,
                             std::map<std::string, sdbus::Variant> options) {
  const Caller caller = current_caller();
  push_workspace(ctx_, std::move(result), caller, action_for(caller), details("pushworkspace"), shown_.vm.id,
                 std::move(archive), options);
}

void VmObject::PullWorkspace(sdbus::Result<sdbus::ObjectPath>&& result, sdbus::UnixFd archive,
                             std::map<std::string, sdbus::Variant> options) {
  const Caller caller = current_caller();
  pull_workspace(ctx_, std::move(result), caller, action_for(caller), details("pullworkspace"), shown_.vm.id,
                 std::move(archive), options);
}

void VmObject::AddAuthorizedKeys(sdbus::Result<>&& result, std::vector<std::string> keys) {
  const Caller caller = current_caller();
  add_authorized_keys(ctx_, std::move(result), caller, action_for(caller), details("addauthorizedkeys"), shown_.vm.id, keys,
                      alive_or_gone(*this, ErrorKind::no_such_vm));
}

void VmObject::RemoveAuthorizedKeys(sdbus::Result<>&& result, std::vector<std::string> fingerprints) {
  const Caller caller = current_caller();
  remove_authorized_keys(ctx_, std::move(result), caller, action_for(caller), details("removeauthorizedkeys"), shown_.vm.id,
                         fingerprints, alive_or_gone(*this, ErrorKind::no_such_vm));
}

void VmObject::ForwardPort(sdbus::Result<>&& result, std::string protocol, uint16_t host_port, uint16_t guest_port) {
  const Caller caller = current_caller();
  forward_port(ctx_, std::move(result), caller, action_for(caller), details("forwardport"), shown_.vm.id, protocol,
               host_port, guest_port, alive_or_gone(*this, ErrorKind::no_such_vm));
}

void VmObject::RemoveForward(sdbus::Result<>&& result, std::string protocol, uint16_t host_port) {
  const Caller caller = current_caller();
  remove_forward(ctx_, std::move(result), caller, action_for(caller), details("removeforward"), shown_.vm.id, protocol,
                 host_port, alive_or_gone(*this, ErrorKind::no_such_vm));
}

}  // namespace banger
