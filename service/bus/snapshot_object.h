#pragma once
#include <memory>
#include <string>

#include <sdbus-c++/sdbus-c++.h>

#include "bus/bus_context.h"
#include "bus/caller.h"
#include "bus/snapshot_properties.h"
#include "core/snapshot.h"
#include "core/vm.h"
#include "dev.banger.banger1.Snapshot_table_adaptor.h"

namespace banger {

// One exported checkpoint of a VM. Properties answer from the cached record;
// Restore and Delete are authorized as the VM's own verbs.
class SnapshotObject final
    : public sdbus::AdaptorInterfaces<properties::SnapshotTableAdaptor<SnapshotObject>, sdbus::Properties_adaptor>,
      public std::enable_shared_from_this<SnapshotObject> {
 public:
  // Exports the object and announces it (InterfacesAdded).
  SnapshotObject(BusContext& ctx, SnapshotRecord snapshot);
  ~SnapshotObject();

  const SnapshotRecord& record() const { return snapshot_; }
  const std::string& path() const { return getObject().getObjectPath(); }
  void update(const SnapshotRecord& snapshot);
  void announce_removal();
  template <typename Tag>
  typename Tag::type property() const {
    return properties::Snapshot::table.get<Tag>(snapshot_);
  }

 private:
  void Restore(sdbus::Result<>&& result) override;
  void Delete(sdbus::Result<>&& result) override;
  // Cold: a created VM from the checkpoint's disks (VmManager::begin_checkpoint_clone).
  void Clone(sdbus::Result<sdbus::ObjectPath, sdbus::ObjectPath>&& result, std::string new_name,
             std::map<std::string, sdbus::Variant> options) override;
  // The record of the checkpoint's VM; nullptr, with `result` answered (UnknownObject), when it is gone.
  template <typename... Out>
  const VmRecord* vm_or_answer(sdbus::Result<Out...>& result) const;  // snapshot_object.cpp
  // polkit's details for `verb` on this checkpoint of `vm`.
  std::map<std::string, std::string> details(const VmRecord& vm, const char* verb) const;
  // Authorized as the VM's verbs (VmObject::action_for), then `work` on a worker.
  void act(sdbus::Result<>&& result, const char* verb, std::function<void(VmManager&)> work);

  BusContext& ctx_;
  SnapshotRecord snapshot_;
};

}  // namespace banger
