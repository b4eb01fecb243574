#include "bus/object_registry.h"

#include "banger/object_path.h"
#include "bus/event_loop.h"
#include "bus/image_object.h"
#include "bus/network_object.h"
#include "bus/operation_object.h"
#include "bus/snapshot_object.h"
#include "bus/vm_object.h"
#include "core/errors.h"
#include "core/ref_lookup.h"
#include "core/vm_lookup.h"

namespace banger {

const NetworkRecord& NetworkKind::record(const NetworkObject& network) { return network.record(); }
const std::string& NetworkKind::path(const NetworkObject& network) { return network.path(); }
const NetworkRecord& NetworkKind::pick(std::span<const NetworkRecord> networks, std::string_view name) {
  if (name.empty()) throw Error(ErrorKind::invalid_args, "empty network name");
  for (const auto& network : networks)
    if (network.name == name) return network;
  throw Error(ErrorKind::no_such_network, "no network named '" + std::string(name) + "'");
}

const ImageRecord& ImageKind::record(const ImageObject& image) { return image.record(); }
const std::string& ImageKind::path(const ImageObject& image) { return image.path(); }
const ImageRecord& ImageKind::pick(std::span<const ImageRecord> images, std::string_view ref) {
  return resolve_record_ref(images, ref, "image", ErrorKind::no_such_image);
}

const SnapshotRecord& SnapshotKind::record(const SnapshotObject& snapshot) { return snapshot.record(); }
const std::string& SnapshotKind::path(const SnapshotObject& snapshot) { return snapshot.path(); }

const VmRecord& VmKind::record(const VmObject& vm) { return vm.record(); }
const std::string& VmKind::path(const VmObject& vm) { return vm.path(); }
const VmRecord& VmKind::pick(std::span<const VmRecord> vms, std::string_view ref) { return resolve_ref(vms, ref); }

std::unique_ptr<VmObject> VmKind::make(BusContext& ctx, const VmRecord& vm) const {
  return std::make_unique<VmObject>(ctx, vm, network_properties(vm));
}

void VmKind::update(VmObject& object, const VmRecord& vm, const std::string& reason) const {
  object.update(vm, reason, network_properties(vm));
}

VmNetworkProperties VmKind::network_properties(const VmRecord& vm) const {
  const auto* network = networks.find(vm.network);
  return network_properties_of(vm, network ? &network->record() : nullptr);
}

ObjectRegistry::ObjectRegistry(EventLoop& loop, std::chrono::seconds operation_linger)
    : exports_(loop), linger_(operation_linger) {
  // The store dropped a deleted VM's leases with its row (ON DELETE CASCADE).
  vms_.after_removal([this](const std::string& vm_id) { drop_leases(vm_id); });
  // Leases come and go: the VMs' addresses and DNS names with them.
  networks_.after_change([this](const NetworkRecord& network) { refresh_vm_networks(network.name); });
}

ObjectRegistry::~ObjectRegistry() { unload(); }

void ObjectRegistry::load(BusContext& ctx, const std::vector<VmRecord>& vms, const std::vector<ImageRecord>& images,
                          const std::vector<NetworkRecord>& networks, const std::vector<SnapshotRecord>& snapshots) {
  exports_.ctx = &ctx;
  // Networks first: a VM's properties show its address on its network.
  networks_.load(networks);
  vms_.load(vms);
  images_.load(images);
  snapshots_.load(snapshots);
  exports_.live = true;
}

void ObjectRegistry::unload() {
  exports_.live = false;
  *exports_.stopping = true;
  snapshots_.clear();
  vms_.clear();
  images_.clear();
  networks_.clear();
  operations_.clear();
}

void ObjectRegistry::drop_leases(const std::string& vm_id) {
  networks_.for_each([&](NetworkObject& network) {
    if (!network.record().leases.contains(vm_id)) return;
    auto after = network.record();
    after.leases.erase(vm_id);
    network.update(after);
  });
}

void ObjectRegistry::refresh_vm_networks(const std::string& network) {
  vms_.for_each([&](VmObject& vm) {
    if (vm.record().network == network) vm.update_network(vms_.kind().network_properties(vm.record()));
  });
}

void ObjectRegistry::add_operation(std::uint64_t number, std::string kind, std::string target) {
  operations_.emplace(number, std::make_unique<OperationObject>(exports_.ctx->connection, bus::operation_path(number),
                                                                std::move(kind), std::move(target)));
}

void ObjectRegistry::finish_operation(std::uint64_t number, bool success, const std::string& error) {
  auto it = operations_.find(number);
  if (it == operations_.end()) return;
  it->second->finish(success, error);
  // Linger so a client that subscribed late still reads the outcome.
  exports_.loop.post_after(linger_, [this, number] { operations_.erase(number); });
}

void ObjectRegistry::progress_operation(std::uint64_t number, const std::string& stage, double fraction) {
  if (auto it = operations_.find(number); it != operations_.end()) it->second->progress(stage, fraction);
}

// Defined here, where the objects are complete: the sets make, update and announce them.
void ObjectRegistry::vm_added(const VmRecord& vm) { vms_.added(vm); }
void ObjectRegistry::vm_changed(const VmRecord&, const VmRecord& after, std::string_view reason) {
  vms_.changed(after, std::string(reason));
}
void ObjectRegistry::vm_removed(const VmRecord& vm) { vms_.removed(vm); }

void ObjectRegistry::image_added(const ImageRecord& image) { images_.added(image); }
void ObjectRegistry::image_changed(const ImageRecord& after) { images_.changed(after); }
void ObjectRegistry::image_removed(const ImageRecord& image) { images_.removed(image); }

void ObjectRegistry::network_added(const NetworkRecord& network) { networks_.added(network); }
void ObjectRegistry::network_changed(const NetworkRecord& after) { networks_.changed(after); }
void ObjectRegistry::network_removed(const NetworkRecord& network) { networks_.removed(network); }

void ObjectRegistry::forwards_changed(const std::string& vm_id, const std::vector<PortForward>& forwards) {
  exports_.loop.post([this, vm_id, forwards] {
    if (auto* vm = find_vm(vm_id)) vm->update_forwards(forwards);
  });
}

void ObjectRegistry::snapshot_added(const SnapshotRecord& snapshot) { snapshots_.added(snapshot); }
void ObjectRegistry::snapshot_changed(const SnapshotRecord& snapshot) { snapshots_.changed(snapshot); }
void ObjectRegistry::snapshot_removed(const SnapshotRecord& snapshot) { snapshots_.removed(snapshot); }

void OperationProgress::report(std::string_view stage, double fraction) {
  ctx_.loop.post([&registry = ctx_.registry, number = number_, stage = std::string(stage), fraction] {
    registry.progress_operation(number, stage, fraction);
  });
}

}  // namespace banger
