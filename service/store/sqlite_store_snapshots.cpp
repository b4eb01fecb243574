// Named checkpoints' rows (core/snapshot.h; migration 11).
#include <sqlite3.h>

#include <cstdint>
#include <mutex>

#include <fmt/format.h>

#include "core/errors.h"
#include "store/sqlite_store.h"
#include "store/sqlite_store_impl.h"

namespace banger {

using namespace sqlite;

namespace {

// Checkpoints change seldom (a user's Snapshot or Delete): statements are prepared per call.
constexpr std::string_view snapshot_columns = "id, vm_id, name, created_at_us, size_bytes, has_memory, parent";

SnapshotRecord read_snapshot(const Statement::Cursor& c) {
  SnapshotRecord s;
  s.id = c.text(0);
  s.vm_id = c.text(1);
  s.name = c.text(2);
  s.created_at_us = c.uint64(3);
  s.size_bytes = c.uint64(4);
  s.has_memory = c.flag(5);
  s.parent = c.text(6);
  return s;
}

std::string select_snapshots(std::string_view tail) {
  return fmt::format("SELECT {} FROM snapshots {} ORDER BY created_at_us, id", snapshot_columns, tail);
}

// The checkpoints whose `column` (vm_id, id or parent: this file's names, never input) is `value`.
std::vector<SnapshotRecord> snapshots_where(sqlite3* db, std::string_view column, const std::string& value) {
  Statement list(db, select_snapshots(fmt::format("WHERE {} = ?1", column)));
  return read_rows(list.run().bind(1, value), read_snapshot);
}

std::optional<SnapshotRecord> snapshot_of_id(sqlite3* db, const std::string& id) {
  auto found = snapshots_where(db, "id", id);
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

void upsert_latest(sqlite3* db, const std::string& vm_id, const std::string& snapshot_id) {
  Statement upsert(db, "INSERT INTO snapshot_latest (vm_id, snapshot_id) VALUES (?1, ?2) "
                       "ON CONFLICT (vm_id) DO UPDATE SET snapshot_id = excluded.snapshot_id");
  auto c = upsert.run();
  c.bind(1, vm_id).bind(2, snapshot_id);
  const int rc = c.step_rc();
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) throw Error(ErrorKind::no_such_vm, "no VM with id '" + vm_id + "'");
  check_write(db, rc, {}, "cannot note the latest checkpoint of VM '" + vm_id + "'");
}

}  // namespace

std::vector<SnapshotRecord> SqliteStore::list_snapshots(const std::string& vm_id) {
  std::lock_guard lock(impl_->mutex);
  return snapshots_where(impl_->db.get(), "vm_id", vm_id);
}

std::vector<SnapshotRecord> SqliteStore::list_all_snapshots() {
  std::lock_guard lock(impl_->mutex);
  Statement list(impl_->db.get(), select_snapshots(""));
  return read_rows(list.run(), read_snapshot);
}

std::optional<SnapshotRecord> SqliteStore::find_snapshot(const std::string& id) {
  std::lock_guard lock(impl_->mutex);
  return snapshot_of_id(impl_->db.get(), id);
}

void SqliteStore::insert_snapshot(const SnapshotRecord& s) {
  std::lock_guard lock(impl_->mutex);
  sqlite3* db = impl_->db.get();
  Transaction tx(db);
  {
    Statement insert(db, fmt::format("INSERT INTO snapshots ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", snapshot_columns));
    auto c = insert.run();
    c.bind(1, s.id)
        .bind(2, s.vm_id)
        .bind(3, s.name)
        .bind(4, static_cast<std::int64_t>(s.created_at_us))
        .bind(5, static_cast<std::int64_t>(s.size_bytes))
        .bind(6, std::int64_t{s.has_memory ? 1 : 0})
        .bind(7, s.parent);
    const int rc = c.step_rc();
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) throw Error(ErrorKind::no_such_vm, "no VM with id '" + s.vm_id + "'");
    check_write(db, rc, {{SQLITE_CONSTRAINT_UNIQUE, fmt::format("the VM already has a checkpoint named '{}'", s.name)}},
                "cannot store checkpoint '" + s.name + "'");
  }
  upsert_latest(db, s.vm_id, s.id);
  tx.commit();
}

std::vector<SnapshotRecord> SqliteStore::delete_snapshot(const std::string& id) {
  std::lock_guard lock(impl_->mutex);
  sqlite3* db = impl_->db.get();
  Transaction tx(db);
  const auto gone = snapshot_of_id(db, id);
  if (!gone) return {};
  auto children = snapshots_where(db, "parent", id);
  // The tree stays whole: its children (and a VM at it) move up to its parent.
  for (auto& child : children) child.parent = gone->parent;
  Statement reparent(db, "UPDATE snapshots SET parent = ?2 WHERE parent = ?1");
  reparent.run().bind(1, id).bind(2, gone->parent).step();
  if (gone->parent.empty()) {
    Statement clear(db, "DELETE FROM snapshot_latest WHERE snapshot_id = ?1");
    clear.run().bind(1, id).step();
  } else {
    Statement move(db, "UPDATE snapshot_latest SET snapshot_id = ?2 WHERE snapshot_id = ?1");
    move.run().bind(1, id).bind(2, gone->parent).step();
  }
  Statement remove(db, "DELETE FROM snapshots WHERE id = ?1");
  remove.run().bind(1, id).step();
  tx.commit();
  return children;
}

std::string SqliteStore::latest_snapshot(const std::string& vm_id) {
  std::lock_guard lock(impl_->mutex);
  Statement find(impl_->db.get(), "SELECT snapshot_id FROM snapshot_latest WHERE vm_id = ?1");
  auto c = find.run();
  c.bind(1, vm_id);
  return c.step() ? c.text(0) : std::string();
}

void SqliteStore::set_latest_snapshot(const std::string& vm_id, const std::string& snapshot_id) {
  std::lock_guard lock(impl_->mutex);
  Transaction tx(impl_->db.get());
  upsert_latest(impl_->db.get(), vm_id, snapshot_id);
  tx.commit();
}

std::uint64_t SqliteStore::snapshot_bytes_of_owner(std::uint32_t owner_uid) {
  std::lock_guard lock(impl_->mutex);
  Statement sum(impl_->db.get(),
                "SELECT COALESCE(SUM(snapshots.size_bytes), 0) FROM snapshots JOIN vms ON vms.id = snapshots.vm_id "
                "WHERE vms.owner_uid = ?1");
  auto c = sum.run();
  c.bind(1, std::int64_t{owner_uid});
  return c.step() ? c.uint64(0) : 0;
}

}  // namespace banger
