#include "store/sqlite_store.h"

#include <sqlite3.h>

#include <cstdint>
#include <mutex>

#include "core/errors.h"
#include "store/sqlite_store_impl.h"

namespace banger {

using namespace sqlite;

namespace {


// Parameter numbers match the column order of `columns`; UPDATE simply leaves
// ?1 and ?9 (id, created_at_us) out of its SET list.
void bind_record(Statement::Cursor& c, const VmRecord& vm) {
  c.bind(1, vm.id)
      .bind(2, vm.name)
      .bind(3, std::int64_t{vm.owner_uid})
      .bind(4, to_string(vm.state))
      .bind(5, std::int64_t{vm.vcpus})
      .bind(6, std::int64_t{vm.memory_mib})
      .bind(7, vm.image)
      .bind(8, vm.last_error)
      .bind(9, static_cast<std::int64_t>(vm.created_at_us))
      .bind(10, static_cast<std::int64_t>(vm.updated_at_us))
      .bind(11, vm.backend)
      .bind(12, vm.handles)
      .bind(13, vm.network)
      .bind(14, static_cast<std::int64_t>(vm.disk_mib))
      .bind(15, static_cast<std::int64_t>(vm.work_disk_mib))
      .bind(16, vm.root_disk_strategy)
      .bind(17, std::int64_t{vm.keep_work_disk ? 1 : 0})
      .bind(18, std::int64_t{vm.forward_ports ? 1 : 0})
      .bind(19, std::int64_t{vm.autostart ? 1 : 0})
      .bind(20, static_cast<std::int64_t>(vm.idle_suspend_s));
}

VmRecord read_record(const Statement::Cursor& c) {
  VmRecord vm;
  vm.id = c.text(0);
  vm.name = c.text(1);
  vm.owner_uid = static_cast<std::uint32_t>(c.int64(2));
  const std::string state = c.text(3);
  const auto parsed = parse_vm_state(state);
  if (!parsed) throw Error(ErrorKind::internal, "VM '" + vm.id + "' has unknown state '" + state + "'");
  vm.state = *parsed;
  vm.vcpus = static_cast<std::uint32_t>(c.int64(4));
  vm.memory_mib = static_cast<std::uint32_t>(c.int64(5));
  vm.image = c.text(6);
  vm.last_error = c.text(7);
  vm.created_at_us = c.uint64(8);
  vm.updated_at_us = c.uint64(9);
  vm.backend = c.text(10);
  vm.handles = c.text(11);
  vm.network = c.text(12);
  vm.disk_mib = c.uint64(13);
  vm.work_disk_mib = c.uint64(14);
  vm.root_disk_strategy = c.text(15);
  vm.keep_work_disk = c.flag(16);
  vm.forward_ports = c.flag(17);
  vm.autostart = c.flag(18);
  vm.idle_suspend_s = static_cast<std::uint32_t>(c.int64(19));
  return vm;
}

[[noreturn]] void no_such_vm(const std::string& id) {
  throw Error(ErrorKind::no_such_vm, "no VM with id '" + id + "'");
}

}  // namespace

void SqliteStore::Impl::write_vm(Statement& s, const VmRecord& vm) {
  auto c = s.run();
  bind_record(c, vm);
  check_write(db.get(), c.step_rc(),
              {{SQLITE_CONSTRAINT_UNIQUE, "a VM named '" + vm.name + "' already exists"},
               {SQLITE_CONSTRAINT_PRIMARYKEY, "a VM with id '" + vm.id + "' already exists"}},
              "cannot write VM '" + vm.id + "'");
}

std::vector<VmRecord> SqliteStore::list_vms() {
  std::lock_guard lock(impl_->mutex);
  return read_rows(impl_->list.run(), read_record);
}

std::optional<VmRecord> SqliteStore::find_vm(const std::string& id) {
  std::lock_guard lock(impl_->mutex);
  return read_first(impl_->find.run().bind(1, id), read_record);
}

void SqliteStore::insert_vm(const VmRecord& vm) {
  std::lock_guard lock(impl_->mutex);
  Transaction tx(impl_->db.get());
  impl_->write_vm(impl_->insert, vm);
  tx.commit();
}

void SqliteStore::update_vm(const VmRecord& vm) {
  std::lock_guard lock(impl_->mutex);
  Transaction tx(impl_->db.get());
  impl_->write_vm(impl_->update, vm);
  if (sqlite3_changes(impl_->db.get()) == 0) no_such_vm(vm.id);
  tx.commit();
}

void SqliteStore::delete_vm(const std::string& id) {
  std::lock_guard lock(impl_->mutex);
  Transaction tx(impl_->db.get());
  impl_->remove.run().bind(1, id).step();
  if (sqlite3_changes(impl_->db.get()) == 0) no_such_vm(id);
  tx.commit();
}

}  // namespace banger
