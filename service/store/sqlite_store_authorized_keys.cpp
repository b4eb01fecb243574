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

// Keys are read and written rarely (a user's AddAuthorizedKeys, a start), so
// their statements are prepared per call instead of living in Impl.
constexpr std::string_view key_columns = "vm_id, key_line, key_blob, added_at_us, added_by_uid";

StoredAuthorizedKey read_key(const Statement::Cursor& c) {
  StoredAuthorizedKey key;
  key.line = c.text(1);
  key.blob = c.text(2);
  key.added_at_us = c.uint64(3);
  key.added_by_uid = static_cast<std::uint32_t>(c.int64(4));
  return key;
}

std::string select_keys(std::string_view tail) {
  return fmt::format("SELECT {} FROM authorized_keys {} ORDER BY vm_id, added_at_us, rowid", key_columns, tail);
}

}  // namespace

std::vector<StoredAuthorizedKey> SqliteStore::list_authorized_keys(const std::string& vm_id) {
  std::lock_guard lock(impl_->mutex);
  Statement list(impl_->db.get(), select_keys("WHERE vm_id = ?1"));
  return read_rows(list.run().bind(1, vm_id), read_key);
}

std::map<std::string, std::vector<StoredAuthorizedKey>> SqliteStore::all_authorized_keys() {
  std::lock_guard lock(impl_->mutex);
  Statement list(impl_->db.get(), select_keys(""));
  std::map<std::string, std::vector<StoredAuthorizedKey>> out;
  auto c = list.run();
  while (c.step()) out[c.text(0)].push_back(read_key(c));
  return out;
}

std::size_t SqliteStore::add_authorized_keys(const std::string& vm_id, const std::vector<StoredAuthorizedKey>& keys,
                                             std::size_t max_keys) {
  std::lock_guard lock(impl_->mutex);
  sqlite3* db = impl_->db.get();
  Statement vm_exists(db, "SELECT 1 FROM vms WHERE id = ?1");
  Statement insert(db, fmt::format("INSERT OR IGNORE INTO authorized_keys ({}) VALUES (?1, ?2, ?3, ?4, ?5)",
                                   key_columns));
  Statement count(db, "SELECT COUNT(*) FROM authorized_keys WHERE vm_id = ?1");
  Transaction tx(db);
  if (!vm_exists.run().bind(1, vm_id).step()) throw Error(ErrorKind::no_such_vm, "no VM with id '" + vm_id + "'");
  std::size_t added = 0;
  for (const auto& key : keys) {
    auto c = insert.run();
    c.bind(1, vm_id)
        .bind(2, key.line)
        .bind(3, key.blob)
        .bind(4, static_cast<std::int64_t>(key.added_at_us))
        .bind(5, static_cast<std::int64_t>(key.added_by_uid));
    check_write(db, c.step_rc(), {}, "cannot store an authorized key");
    added += static_cast<std::size_t>(sqlite3_changes(db));
  }
  {
    auto total = count.run();
    total.bind(1, vm_id).step();
    if (static_cast<std::size_t>(total.int64(0)) > max_keys)
      throw Error(ErrorKind::invalid_args,
                  fmt::format("the VM would hold {} keys; at most {} (remove some first)", total.int64(0), max_keys));
  }
  tx.commit();
  return added;
}

std::size_t SqliteStore::remove_authorized_keys(const std::string& vm_id, const std::vector<std::string>& blobs) {
  std::lock_guard lock(impl_->mutex);
  sqlite3* db = impl_->db.get();
  Statement remove(db, "DELETE FROM authorized_keys WHERE vm_id = ?1 AND key_blob = ?2");
  Transaction tx(db);
  std::size_t removed = 0;
  for (const auto& blob : blobs) {
    remove.run().bind(1, vm_id).bind(2, blob).step();
    removed += static_cast<std::size_t>(sqlite3_changes(db));
  }
  tx.commit();
  return removed;
}

}  // namespace banger
