#include "bus/snapshot_object.h"

#include <fmt/format.h>

#include "banger/bus_names.h"
#include "banger/object_path.h"
#include "bus/clone_request.h"
#include "bus/live_object.h"
#include "bus/object_registry.h"
#include "bus/removal_signal.h"
#include "bus/options.h"
#include "bus/request.h"
#include "bus/vm_object.h"
#include "core/errors.h"
#include "core/vm_manager.h"

namespace banger {

namespace {

// Restore answers once done; its progress has no Operation to go to.
class NoProgress final : public ProgressSink {
 public:
  void report(std::string_view, double) override {}
};

}  // namespace

SnapshotObject::SnapshotObject(BusContext& ctx, SnapshotRecord snapshot)
    : AdaptorInterfaces(ctx.connection, bus::snapshot_path(snapshot.vm_id, snapshot.id)),
      ctx_(ctx),
      snapshot_(std::move(snapshot)) {
  registerAdaptor();
  getObject().emitInterfacesAddedSignal();
}

SnapshotObject::~SnapshotObject() { unregisterAdaptor(); }

void SnapshotObject::announce_removal() { announce_removed(getObject()); }

void SnapshotObject::update(const SnapshotRecord& snapshot) {
  const auto changed = properties::Snapshot::table.changed(snapshot_, snapshot);
  snapshot_ = snapshot;
  if (!changed.empty()) getObject().emitPropertiesChangedSignal(bus::snapshot_interface, changed);
}

template <typename... Out>
const VmRecord* SnapshotObject::vm_or_answer(sdbus::Result<Out...>& result) const {
  if (const VmObject* vm = ctx_.registry.find_vm(snapshot_.vm_id)) return &vm->record();
  result.returnError(to_bus_error(std::make_exception_ptr(
      Error(ErrorKind::no_such_vm, fmt::format("the VM of checkpoint '{}' is gone", snapshot_.name)))));
  return nullptr;
}

std::map<std::string, std::string> SnapshotObject::details(const VmRecord& vm, const char* verb) const {
  return {{"vm", vm.name}, {"vm_id", vm.id}, {"snapshot", snapshot_.name}, {"verb", verb}};
}

void SnapshotObject::act(sdbus::Result<>&& result, const char* verb, std::function<void(VmManager&)> work) {
  const auto caller = caller_of(*getObject().getCurrentlyProcessedMessage());
  const VmRecord* owner = vm_or_answer(result);
  if (owner == nullptr) return;
  // As the VM's own verbs: its owner under manage-own-vms, anyone else under manage-vms.
  const char* action = caller.uid == owner->owner_uid ? bus::action::manage_own_vms : bus::action::manage_vms;
  authorize_and_run(ctx_, std::move(result), caller, action, details(*owner, verb),
                    [&vms = ctx_.vms, work] {
                      work(vms);
                      return std::tuple<>();
                    },
                    alive_or_gone(*this, ErrorKind::invalid_args));
}

void SnapshotObject::Restore(sdbus::Result<>&& result) {
  act(std::move(result), "restore-snapshot", [id = snapshot_.id](VmManager& m) {
    NoProgress progress;
    m.restore_snapshot(id, progress);
  });
}

void SnapshotObject::Clone(sdbus::Result<sdbus::ObjectPath, sdbus::ObjectPath>&& result, std::string new_name,
                           std::map<std::string, sdbus::Variant> options) {
  if (!validated(result, [&] {
        validate_vm_name(new_name);
        if (!options.empty())
          throw Error(ErrorKind::invalid_args,
                      fmt::format("unknown option '{}': Snapshot.Clone takes none yet", options.begin()->first));
      }))
    return;
  const VmRecord* source = vm_or_answer(result);
  if (source == nullptr) return;
  authorize_and_clone(
      ctx_, std::move(result), caller_of(*getObject().getCurrentlyProcessedMessage()), *source,
      details(*source, "clone"), new_name,
      // `self`: the reply goes out on the bus thread after this job; this object must still be there.
      [&ctx = ctx_, snapshot = snapshot_.id, new_name, self = alive_or_gone(*this, ErrorKind::invalid_args)](
          std::uint32_t uid) { return ctx.vms.begin_checkpoint_clone(snapshot, new_name, uid).id; },
      [&ctx = ctx_, snapshot = snapshot_.id](const std::string& id, ProgressSink& progress) {
        ctx.vms.finish_checkpoint_clone(id, snapshot, progress);
      });
}

void SnapshotObject::Delete(sdbus::Result<>&& result) {
  act(std::move(result), "delete-snapshot", [id = snapshot_.id](VmManager& m) { m.delete_snapshot(id); });
}

}  // namespace banger
