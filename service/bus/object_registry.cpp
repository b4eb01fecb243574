#include "bus/object_registry.h"

#include "banger/object_path.h"
#include "bus/event_loop.h"
#include "bus/operation_object.h"
#include "bus/vm_object.h"
#include "core/errors.h"
#include "core/vm_lookup.h"

namespace banger {

const VmRecord& object_record(const VmObject& object) { return object.record(); }
const std::string& object_path(const VmObject& object) { return object.path(); }

ObjectRegistry::ObjectRegistry(EventLoop& loop, std::chrono::seconds operation_linger)
    : loop_(loop), linger_(operation_linger) {}

ObjectRegistry::~ObjectRegistry() { unload(); }

void ObjectRegistry::load(BusContext& ctx, const std::vector<VmRecord>& vms) {
  ctx_ = &ctx;
  for (const auto& vm : vms) vms_.emplace(vm.id, make_vm_object(vm));
  live_ = true;
}

std::shared_ptr<VmObject> ObjectRegistry::make_vm_object(const VmRecord& vm) {
  return std::shared_ptr<VmObject>(new VmObject(*ctx_, vm), [&loop = loop_, stopping = stopping_](VmObject* object) {
    if (*stopping)
      delete object;  // shutdown, on the bus thread, after the workers are gone
    else
      loop.post([object] { delete object; });
  });
}

void ObjectRegistry::unload() {
  live_ = false;
  *stopping_ = true;
  vms_.clear();
  operations_.clear();
}

VmObject& ObjectRegistry::resolve(const std::string& ref) {
  auto all = records();
  const auto& vm = resolve_ref(all, ref);
  return *vms_.at(vm.id);
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
    if (auto it = vms_.find(after.id); live_ && it != vms_.end()) it->second->update(after, reason);
  });
}

void ObjectRegistry::vm_removed(const VmRecord& vm) {
  loop_.post([this, id = vm.id] {
    auto it = vms_.find(id);
    if (!live_ || it == vms_.end()) return;
    it->second->announce_removal();
    vms_.erase(it);
  });
}

void OperationProgress::report(std::string_view stage, double fraction) {
  ctx_.loop.post([&registry = ctx_.registry, number = number_, stage = std::string(stage), fraction] {
    registry.progress_operation(number, stage, fraction);
  });
}

}  // namespace banger
