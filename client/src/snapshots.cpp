// Client's checkpoint methods: list (GetManagedObjects), take (VM.Snapshot and
// its Operation), restore and delete (the Snapshot object's methods).
#include "client_impl.h"
#include "errors_internal.h"
#include "operation_watch.h"
#include "properties.h"
#include "dev.banger.banger1.Snapshot_properties.h"

namespace banger::client {

using detail::take;
using detail::translate;
namespace Snap = properties::Snapshot;

namespace {

SnapshotInfo snapshot_from_properties(const std::string& path, const std::map<std::string, sdbus::Variant>& props) {
  SnapshotInfo s;
  s.path = path;
  sdbus::ObjectPath vm, parent;
  take<Snap::Id>(props, s.id);
  take<Snap::Name>(props, s.name);
  take<Snap::VM>(props, vm);
  take<Snap::CreatedAt>(props, s.created_at_us);
  take<Snap::SizeBytes>(props, s.size_bytes);
  take<Snap::HasMemory>(props, s.has_memory);
  take<Snap::Parent>(props, parent);
  s.vm_path = vm;
  s.parent_path = parent == "/" ? std::string() : std::string(parent);
  return s;
}

std::vector<SnapshotInfo> snapshots_of(ManagerProxy& manager, const std::string& vm_path) {
  auto all = managed_objects<SnapshotInfo>(manager, bus::snapshot_interface, snapshot_from_properties);
  if (!vm_path.empty()) std::erase_if(all, [&](const SnapshotInfo& s) { return s.vm_path != vm_path; });
  return all;
}

SnapshotInfo named(ManagerProxy& manager, const std::string& vm_path, const std::string& vm_ref,
                   const std::string& name) {
  for (auto& s : snapshots_of(manager, vm_path))
    if (s.name == name) return s;
  throw Error(ErrorCode::not_found, {}, "VM '" + vm_ref + "' has no checkpoint named '" + name + "'");
}

}  // namespace

std::vector<SnapshotInfo> Client::list_snapshots(const std::string& vm_ref) {
  std::lock_guard lock(impl_->mutex);
  return translate([&] { return snapshots_of(*impl_->manager, vm_ref.empty() ? "" : impl_->resolve(vm_ref)); });
}

SnapshotInfo Client::snapshot_vm(const std::string& vm_ref, const std::string& name, const ProgressCallback& progress,
                                 std::chrono::milliseconds timeout) {
  std::lock_guard lock(impl_->mutex);
  return translate([&] {
    VmProxy vm(*impl_->connection, impl_->resolve(vm_ref));
    const auto [path, op_path] = vm.Snapshot(name, {});
    detail::follow_operation(*impl_->connection, op_path, progress, timeout, "the checkpoint to be taken");
    auto proxy = sdbus::createProxy(*impl_->connection, bus::service_name, path);
    std::map<std::string, sdbus::Variant> props;
    proxy->callMethod("GetAll").onInterface("org.freedesktop.DBus.Properties").withArguments(
        std::string(bus::snapshot_interface)).storeResultsTo(props);
    return snapshot_from_properties(path, props);
  });
}

void Client::restore_snapshot(const std::string& vm_ref, const std::string& name, std::chrono::milliseconds timeout) {
  std::lock_guard lock(impl_->mutex);
  translate([&] {
    const auto s = named(*impl_->manager, impl_->resolve(vm_ref), vm_ref, name);
    auto proxy = sdbus::createProxy(*impl_->connection, bus::service_name, s.path);
    proxy->callMethod("Restore").onInterface(bus::snapshot_interface).withTimeout(timeout);
  });
}

void Client::remove_snapshot(const std::string& vm_ref, const std::string& name) {
  std::lock_guard lock(impl_->mutex);
  translate([&] {
    const auto s = named(*impl_->manager, impl_->resolve(vm_ref), vm_ref, name);
    auto proxy = sdbus::createProxy(*impl_->connection, bus::service_name, s.path);
    proxy->callMethod("Delete").onInterface(bus::snapshot_interface);
  });
}

VmInfo Client::clone_snapshot(const std::string& vm_ref, const std::string& name, const std::string& new_name,
                              const ProgressCallback& progress, std::chrono::milliseconds timeout) {
  std::lock_guard lock(impl_->mutex);
  return translate([&] {
    const auto s = named(*impl_->manager, impl_->resolve(vm_ref), vm_ref, name);
    auto proxy = sdbus::createProxy(*impl_->connection, bus::service_name, s.path);
    sdbus::ObjectPath vm_path, op_path;
    proxy->callMethod("Clone")
        .onInterface(bus::snapshot_interface)
        .withArguments(new_name, std::map<std::string, sdbus::Variant>{})
        .storeResultsTo(vm_path, op_path);
    detail::follow_operation(*impl_->connection, op_path, progress, timeout, "the clone to be made");
    return impl_->read_vm(vm_path);
  });
}

}  // namespace banger::client
