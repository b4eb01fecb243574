#pragma once
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bus/bus_context.h"
#include "bus/object_set.h"
#include "bus/vm_network_properties.h"
#include "core/authorized_key_events.h"
#include "core/capability.h"
#include "core/guest_ports.h"
#include "core/image_events.h"
#include "core/network_events.h"
#include "core/port_forward.h"
#include "core/snapshot.h"
#include "core/vm_events.h"
#include "core/vm_stats.h"

namespace banger {

class EventLoop;
class ImageObject;
class NetworkObject;
class OperationObject;
class SnapshotObject;
class VmObject;

// The kinds of exported object (see ObjectSet). record() and path() are
// defined in object_registry.cpp, where the objects are complete.
struct NetworkKind : ExportedKind<NetworkRecord, NetworkObject> {
  static const std::string& key(const NetworkRecord& network) { return network.name; }
  static const NetworkRecord& record(const NetworkObject& network);
  static const std::string& path(const NetworkObject& network);
  // By exact name: Error(no_such_network | invalid_args).
  static const NetworkRecord& pick(std::span<const NetworkRecord> networks, std::string_view name);
};

struct ImageKind : ExportedKind<ImageRecord, ImageObject> {
  static const std::string& key(const ImageRecord& image) { return image.id; }
  static const ImageRecord& record(const ImageObject& image);
  static const std::string& path(const ImageObject& image);
  // Error(no_such_image | ambiguous)
  static const ImageRecord& pick(std::span<const ImageRecord> images, std::string_view ref);
};

struct VmKind : ExportedKind<VmRecord, VmObject> {
  static const std::string& key(const VmRecord& vm) { return vm.id; }
  static const VmRecord& record(const VmObject& vm);
  static const std::string& path(const VmObject& vm);
  // Error(no_such_vm | ambiguous)
  static const VmRecord& pick(std::span<const VmRecord> vms, std::string_view ref);
  // A VM's properties show its address on its network.
  std::unique_ptr<VmObject> make(BusContext& ctx, const VmRecord& vm) const;
  void update(VmObject& object, const VmRecord& vm, const std::string& reason) const;
  VmNetworkProperties network_properties(const VmRecord& vm) const;

  explicit VmKind(const ObjectSet<NetworkKind>& networks) : networks(networks) {}
  const ObjectSet<NetworkKind>& networks;
};

// A VM's checkpoints (VM.Snapshot), by id.
struct SnapshotKind : ExportedKind<SnapshotRecord, SnapshotObject> {
  static const std::string& key(const SnapshotRecord& snapshot) { return snapshot.id; }
  static const SnapshotRecord& record(const SnapshotObject& snapshot);
  static const std::string& path(const SnapshotObject& snapshot);
};

// The exported VM, Image, Network and Operation objects. Domain events arrive on worker threads
// and are carried over to the bus thread; every other member runs there.
class ObjectRegistry final : public VmEvents, public ImageEvents, public NetworkEvents, public ForwardEvents,
                             public SnapshotEvents {
 public:
  ObjectRegistry(EventLoop& loop, std::chrono::seconds operation_linger);
  ~ObjectRegistry() override;

  // Exports the VMs that exist at start-up; events before this are stale.
  // (The context is given here, not at construction, because the VmManager in
  // it reports its events to this registry.)
  void load(BusContext& ctx, const std::vector<VmRecord>& vms, const std::vector<ImageRecord>& images = {},
            const std::vector<NetworkRecord>& networks = {}, const std::vector<SnapshotRecord>& snapshots = {});
  // At shutdown: unexport without InterfacesRemoved (the VMs live on).
  void unload();

  VmObject& resolve(const std::string& ref) { return vms_.resolve(ref); }  // Error(no_such_vm | ambiguous)
  // By exact id; nullptr when there is none.
  VmObject* find_vm(const std::string& id) { return exports_.live ? vms_.find(id) : nullptr; }
  // Error(no_such_image | ambiguous)
  ImageObject& resolve_image(const std::string& ref) { return images_.resolve(ref); }
  // f(object path, record) for every image.
  template <typename F>
  void for_each_image(F f) const {
    images_.for_each([&](const ImageObject& image) { f(ImageKind::path(image), ImageKind::record(image)); });
  }
  // Error(no_such_network | invalid_args)
  NetworkObject& resolve_network(const std::string& name) { return networks_.resolve(name); }
  // f(object path, record) for every network, by name.
  template <typename F>
  void for_each_network(F f) const {
    networks_.for_each(
        [&](const NetworkObject& network) { f(NetworkKind::path(network), NetworkKind::record(network)); });
  }
  // f(object path, record) for every checkpoint, by id.
  template <typename F>
  void for_each_snapshot(F f) const {
    snapshots_.for_each(
        [&](const SnapshotObject& snapshot) { f(SnapshotKind::path(snapshot), SnapshotKind::record(snapshot)); });
  }
  std::vector<VmRecord> records() const { return vms_.records(); }
  template <typename F>
  void for_each_vm(F f) const {
    vms_.for_each([&](const VmObject& vm) { f(VmKind::record(vm)); });
  }
  // f(object) for every VM: GetManagedObjects reads each VM's properties off its
  // object in one pass, not its stats and forwards by a second and third search by id.
  template <typename F>
  void for_each_vm_object(F f) const {
    vms_.for_each(f);
  }
  template <typename F>
  void for_each_operation(F f) const {
    for (const auto& [number, object] : operations_) f(number, *object);
  }

  // Operations: the number is taken on a worker, the object made on the bus thread.
  std::uint64_t reserve_operation() { return next_operation_++; }
  void add_operation(std::uint64_t number, std::string kind, std::string target);
  void finish_operation(std::uint64_t number, bool success, const std::string& error);
  void progress_operation(std::uint64_t number, const std::string& stage, double fraction);

  // The domain's events, from worker threads (see ObjectSet).
  void vm_added(const VmRecord& vm) override;
  void vm_changed(const VmRecord& before, const VmRecord& after, std::string_view reason) override;
  void vm_removed(const VmRecord& vm) override;

  void image_added(const ImageRecord& image) override;
  void image_changed(const ImageRecord& after) override;
  void image_removed(const ImageRecord& image) override;

  void network_added(const NetworkRecord& network) override;
  void network_changed(const NetworkRecord& after) override;
  void network_removed(const NetworkRecord& network) override;

  void forwards_changed(const std::string& vm_id, const std::vector<PortForward>& forwards) override;

  void snapshot_added(const SnapshotRecord& snapshot) override;
  void snapshot_changed(const SnapshotRecord& snapshot) override;
  void snapshot_removed(const SnapshotRecord& snapshot) override;

 private:
  void drop_leases(const std::string& vm_id);
  void refresh_vm_networks(const std::string& network);

  ExportState exports_;
  std::chrono::seconds linger_;
  ObjectSet<NetworkKind> networks_{exports_};  // before the VMs: their properties read the networks
  ObjectSet<VmKind> vms_{exports_, VmKind(networks_)};
  ObjectSet<ImageKind> images_{exports_};
  ObjectSet<SnapshotKind> snapshots_{exports_};
  std::map<std::uint64_t, std::unique_ptr<OperationObject>> operations_;
  std::atomic<std::uint64_t> next_operation_{1};
};

// Feeds an Operation object from a worker thread.
class OperationProgress final : public ProgressSink {
 public:
  OperationProgress(BusContext& ctx, std::uint64_t number) : ctx_(ctx), number_(number) {}
  void report(std::string_view stage, double fraction) override;

 private:
  BusContext& ctx_;
  std::uint64_t number_;
};

}  // namespace banger
