#include "bus/object_registry.h"

#include "banger/object_path.h"
#include "bus/event_loop.h"
#include "bus/image_object.h"
#include "bus/network_object.h"
#include "bus/operation_object.h"
#include "bus/vm_object.h"
#include "core/errors.h"
#include "core/ref_lookup.h"
#include "core/vm_lookup.h"

namespace banger {

const VmRecord& object_record(const VmObject& object) { return object.record(); }
const ImageRecord& image_record_of(const ImageObject& object) { return object.record(); }
const std::string& image_path_of(const ImageObject& object) { return object.path(); }
const NetworkRecord& network_record_of(const NetworkObject& object) { return object.record(); }
const std::string& network_path_of(const NetworkObject& object) { return object.path(); }

ObjectRegistry::ObjectRegistry(EventLoop& loop, std::chrono::seconds operation_linger)
    : loop_(loop), linger_(operation_linger) {}

ObjectRegistry::~ObjectRegistry() { unload(); }

void ObjectRegistry::load(BusContext& ctx, const std::vector<VmRecord>& vms, const std::vector<ImageRecord>& images,
                          const std::vector<NetworkRecord>& networks) {
  ctx_ = &ctx;
  // Networks first: a VM's properties show its address on its network.
  for (const auto& network : networks) networks_.emplace(network.name, make_network_object(network));
  for (const auto& vm : vms) vms_.emplace(vm.id, make_vm_object(vm));
  for (const auto& image : images) images_.emplace(image.id, make_image_object(image));
  live_ = true;
}

template <typename T>
std::shared_ptr<T> ObjectRegistry::owned_by_bus_thread(T* object) {
  return std::shared_ptr<T>(object, [&loop = loop_, stopping = stopping_](T* object) {
    if (*stopping)
      delete object;  // shutdown, on the bus thread, after the workers are gone
    else
      loop.post([object] { delete object; });
  });
}

std::shared_ptr<VmObject> ObjectRegistry::make_vm_object(const VmRecord& vm) {
  return owned_by_bus_thread(new VmObject(*ctx_, vm, network_properties(vm)));
}

VmNetworkProperties ObjectRegistry::network_properties(const VmRecord& vm) const {
  auto it = networks_.find(vm.network);
  return network_properties_of(vm, it == networks_.end() ? nullptr : &network_record_of(*it->second));
}

std::shared_ptr<ImageObject> ObjectRegistry::make_image_object(const ImageRecord& image) {
  return owned_by_bus_thread(new ImageObject(*ctx_, image));
}

std::shared_ptr<NetworkObject> ObjectRegistry::make_network_object(const NetworkRecord& network) {
  return owned_by_bus_thread(new NetworkObject(*ctx_, network));
}

void ObjectRegistry::unload() {
  live_ = false;
  *stopping_ = true;
  vms_.clear();
  images_.clear();
  networks_.clear();
  operations_.clear();
}

VmObject& ObjectRegistry::resolve(const std::string& ref) {
  auto all = records();
  const auto& vm = resolve_ref(all, ref);
  return *vms_.at(vm.id);
}

VmObject* ObjectRegistry::find_vm(const std::string& id) {
  auto it = vms_.find(id);
  return live_ && it != vms_.end() ? it->second.get() : nullptr;
}

ImageObject& ObjectRegistry::resolve_image(const std::string& ref) {
  std::vector<ImageRecord> all;
  all.reserve(images_.size());
  for (const auto& [id, object] : images_) all.push_back(object->record());
  const auto& image = resolve_record_ref<ImageRecord>(all, ref, "image", ErrorKind::no_such_image);
  return *images_.at(image.id);
}

NetworkObject& ObjectRegistry::resolve_network(const std::string& name) {
  if (name.empty()) throw Error(ErrorKind::invalid_args, "empty network name");
  auto it = networks_.find(name);
  if (it == networks_.end()) throw Error(ErrorKind::no_such_network, "no network named '" + name + "'");
  return *it->second;
}

std::vector<VmRecord> ObjectRegistry::records() const {
  std::vector<VmRecord> out;
  out.reserve(vms_.size());
  for (const auto& [id, object] : vms_) out.push_back(object->record());
  return out;
}

void ObjectRegistry::add_operation(std::uint64_t number, std::string kind, std::string target) {
  operations_.emplace(number, std::make_unique<OperationObject>(ctx_->connection, bus::operation_path(number),
                                                                std::move(kind), std::move(target)));
}

void ObjectRegistry::finish_operation(std::uint64_t number, bool success, const std::string& error) {
  auto it = operations_.find(number);
  if (it == operations_.end()) return;
  it->second->finish(success, error);
  // Linger so a client that subscribed late still reads the outcome.
  loop_.post_after(linger_, [this, number] { operations_.erase(number); });
}

void ObjectRegistry::progress_operation(std::uint64_t number, const std::string& stage, double fraction) {
  if (auto it = operations_.find(number); it != operations_.end()) it->second->progress(stage, fraction);
}

void ObjectRegistry::vm_added(const VmRecord& vm) {
  loop_.post([this, vm] {
    if (live_ && !vms_.contains(vm.id)) vms_.emplace(vm.id, make_vm_object(vm));
  });
}

void ObjectRegistry::vm_changed(const VmRecord&, const VmRecord& after, std::string_view reason) {
  loop_.post([this, after, reason = std::string(reason)] {
    if (auto it = vms_.find(after.id); live_ && it != vms_.end())
      it->second->update(after, reason, network_properties(after));
  });
}

void ObjectRegistry::vm_removed(const VmRecord& vm) {
  loop_.post([this, id = vm.id] {
    auto it = vms_.find(id);
    if (!live_ || it == vms_.end()) return;
    it->second->announce_removal();
    vms_.erase(it);
    // The store dropped the VM's leases with its row (ON DELETE CASCADE).
    for (auto& [name, network] : networks_) {
      if (!network->record().leases.contains(id)) continue;
      auto after = network->record();
      after.leases.erase(id);
      network->update(after);
    }
  });
}

void ObjectRegistry::image_added(const ImageRecord& image) {
  loop_.post([this, image] {
    if (live_ && !images_.contains(image.id)) images_.emplace(image.id, make_image_object(image));
  });
}

void ObjectRegistry::image_changed(const ImageRecord& after) {
  loop_.post([this, after] {
    if (auto it = images_.find(after.id); live_ && it != images_.end()) it->second->update(after);
  });
}

void ObjectRegistry::image_removed(const ImageRecord& image) {
  loop_.post([this, id = image.id] {
    auto it = images_.find(id);
    if (!live_ || it == images_.end()) return;
    it->second->announce_removal();
    images_.erase(it);
  });
}

void ObjectRegistry::network_added(const NetworkRecord& network) {
  loop_.post([this, network] {
    if (live_ && !networks_.contains(network.name)) networks_.emplace(network.name, make_network_object(network));
  });
}

void ObjectRegistry::network_changed(const NetworkRecord& after) {
  loop_.post([this, after] {
    auto it = networks_.find(after.name);
    if (!live_ || it == networks_.end()) return;
    it->second->update(after);
    // Leases come and go: the VMs' addresses and DNS names with them.
    for (auto& [id, vm] : vms_)
      if (vm->record().network == after.name) vm->update_network(network_properties(vm->record()));
  });
}

void ObjectRegistry::network_removed(const NetworkRecord& network) {
  loop_.post([this, name = network.name] {
    auto it = networks_.find(name);
    if (!live_ || it == networks_.end()) return;
    it->second->announce_removal();
    networks_.erase(it);
  });
}

void ObjectRegistry::forwards_changed(const std::string& vm_id, const std::vector<PortForward>& forwards) {
  loop_.post([this, vm_id, forwards] {
    if (auto it = vms_.find(vm_id); live_ && it != vms_.end()) it->second->update_forwards(forwards);
  });
}

void OperationProgress::report(std::string_view stage, double fraction) {
  ctx_.loop.post([&registry = ctx_.registry, number = number_, stage = std::string(stage), fraction] {
    registry.progress_operation(number, stage, fraction);
  });
}

}  // namespace banger
