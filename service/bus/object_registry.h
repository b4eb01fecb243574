#pragma once
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bus/bus_context.h"
#include "bus/vm_network_properties.h"
#include "core/authorized_key_events.h"
#include "core/capability.h"
#include "core/guest_ports.h"
#include "core/image_events.h"
#include "core/network_events.h"
#include "core/port_forward.h"
#include "core/vm_events.h"
#include "stats/vm_stats.h"

namespace banger {

class EventLoop;
class ImageObject;
class NetworkObject;
class OperationObject;
class VmObject;

// The exported VM, Image, Network and Operation objects. Domain events arrive on worker threads
// and are carried over to the bus thread; every other member runs there.
const VmRecord& object_record(const VmObject& object);
const ImageRecord& image_record_of(const ImageObject& object);
const std::string& image_path_of(const ImageObject& object);
const NetworkRecord& network_record_of(const NetworkObject& object);
const std::string& network_path_of(const NetworkObject& object);

class ObjectRegistry final : public VmEvents, public ImageEvents, public NetworkEvents, public ForwardEvents {
 public:
  ObjectRegistry(EventLoop& loop, std::chrono::seconds operation_linger);
  ~ObjectRegistry() override;

  // Exports the VMs that exist at start-up; events before this are stale.
  // (The context is given here, not at construction, because the VmManager in
  // it reports its events to this registry.)
  void load(BusContext& ctx, const std::vector<VmRecord>& vms, const std::vector<ImageRecord>& images = {},
            const std::vector<NetworkRecord>& networks = {});
  // At shutdown: unexport without InterfacesRemoved (the VMs live on).
  void unload();

  VmObject& resolve(const std::string& ref);  // Error(no_such_vm | ambiguous)
  VmObject* find_vm(const std::string& id);   // by exact id; nullptr when there is none
  ImageObject& resolve_image(const std::string& ref);  // Error(no_such_image | ambiguous)
  // f(object path, record) for every image.
  template <typename F>
  void for_each_image(F f) const {
    for (const auto& [id, object] : images_) f(image_path_of(*object), image_record_of(*object));
  }
  NetworkObject& resolve_network(const std::string& name);  // Error(no_such_network | invalid_args)
  // f(object path, record) for every network, by name.
  template <typename F>
  void for_each_network(F f) const {
    for (const auto& [name, object] : networks_) f(network_path_of(*object), network_record_of(*object));
  }
  std::vector<VmRecord> records() const;
  template <typename F>
  void for_each_vm(F f) const {
    for (const auto& [id, object] : vms_) f(object_record(*object));
  }
  // f(object) for every VM: GetManagedObjects reads each VM's properties off its
  // object in one pass, not its stats and forwards by a second and third search by id.
  template <typename F>
  void for_each_vm_object(F f) const {
    for (const auto& [id, object] : vms_) f(std::as_const(*object));
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

 private:
  EventLoop& loop_;
  BusContext* ctx_ = nullptr;
  std::chrono::seconds linger_;
  bool live_ = false;
  std::shared_ptr<VmObject> make_vm_object(const VmRecord& vm);
  VmNetworkProperties network_properties(const VmRecord& vm) const;
  std::shared_ptr<ImageObject> make_image_object(const ImageRecord& image);
  std::shared_ptr<NetworkObject> make_network_object(const NetworkRecord& network);
  // Hands an object whose last owner may be on a worker back to the bus thread to die.
  template <typename T>
  std::shared_ptr<T> owned_by_bus_thread(T* object);

  // By id. In-flight calls share ownership (see authorize_and_run); the last
  // owner, on whatever thread, hands the object back to the bus thread to die.
  std::map<std::string, std::shared_ptr<VmObject>> vms_;
  std::map<std::string, std::shared_ptr<ImageObject>> images_;
  std::map<std::string, std::shared_ptr<NetworkObject>> networks_;  // by name
  std::shared_ptr<std::atomic<bool>> stopping_ = std::make_shared<std::atomic<bool>>(false);
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
