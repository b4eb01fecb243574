#pragma once
// The state SqliteStore's member functions share across the sqlite_store*.cpp
// files: the connection, its lock and the prepared statements.
#include <filesystem>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "store/sqlite_statement.h"
#include "store/sqlite_store.h"

namespace banger {

namespace sqlite {

DbHandle open_db(const std::filesystem::path& file, std::span<const Migration> steps);

inline constexpr std::string_view columns =
    "id, name, owner_uid, state, vcpus, memory_mib, image, last_error, created_at_us, updated_at_us, "
    "backend, handles, network, disk_mib, work_disk_mib, root_disk_strategy, keep_work_disk, forward_ports, "
    "autostart, idle_suspend_s";

inline std::string select_sql(std::string_view tail) {
  return "SELECT " + std::string(columns) + " FROM vms " + std::string(tail);
}

inline constexpr std::string_view image_columns =
    "id, name, kernel, vmlinux, initrd, rootfs, size_bytes, created_at_us, is_default";

inline constexpr std::string_view network_columns = "name, bridge, subnet, gateway, nat, dns_domain, created_at_us";

// Deletes the row `remove` matches for `key` unless `users` (which lists
// the names of the VMs still referring to it) finds any. The check and the
// delete share one write transaction, so no VM can start referring to the row
// in between. `noun` names the resource in the busy error; `missing` throws
// when there is no such row.
template <class Missing>
void delete_unless_used(sqlite3* db, Statement& users, Statement& remove, const std::string& key, std::string_view noun,
                        Missing missing) {
  Transaction tx(db);
  const std::string names = joined_first_column(users.run().bind(1, key));
  if (!names.empty())
    throw Error(ErrorKind::busy, "the " + std::string(noun) + " is in use by VMs: " + names + " (delete them first)");
  remove.run().bind(1, key).step();
  if (sqlite3_changes(db) == 0) missing(key);
  tx.commit();
}

}  // namespace sqlite

struct SqliteStore::Impl {
  Impl(const std::filesystem::path& file, std::span<const Migration> steps) : db(sqlite::open_db(file, steps)) {}

  // Declared first: it must be migrated before the statements below are
  // prepared against its tables, and destroyed after they are finalized.
  sqlite::DbHandle db;
  std::mutex mutex;
  sqlite::Statement list{db.get(), sqlite::select_sql("ORDER BY created_at_us, id")};
  sqlite::Statement find{db.get(), sqlite::select_sql("WHERE id = ?1")};
  sqlite::Statement insert{db.get(), "INSERT INTO vms (" + std::string(sqlite::columns) +
                                         ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)"};
  sqlite::Statement update{db.get(),
                           "UPDATE vms SET name = ?2, owner_uid = ?3, state = ?4, vcpus = ?5, memory_mib = ?6, "
                           "image = ?7, last_error = ?8, updated_at_us = ?10, backend = ?11, handles = ?12, network = ?13, disk_mib = ?14, work_disk_mib = ?15, "
                           "root_disk_strategy = ?16, keep_work_disk = ?17, forward_ports = ?18, autostart = ?19, idle_suspend_s = ?20 "
                           "WHERE id = ?1"};
  sqlite::Statement remove{db.get(), "DELETE FROM vms WHERE id = ?1"};
  sqlite::Statement list_images{
      db.get(), "SELECT " + std::string(sqlite::image_columns) + " FROM images ORDER BY created_at_us, id"};
  sqlite::Statement find_image{db.get(), "SELECT " + std::string(sqlite::image_columns) + " FROM images WHERE id = ?1"};
  sqlite::Statement insert_image{db.get(), "INSERT INTO images (" + std::string(sqlite::image_columns) +
                                               ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0)"};
  sqlite::Statement image_users{db.get(), "SELECT name FROM vms WHERE image = ?1 ORDER BY name"};
  sqlite::Statement remove_image{db.get(), "DELETE FROM images WHERE id = ?1"};
  sqlite::Statement clear_default{db.get(), "UPDATE images SET is_default = 0 WHERE is_default = 1 AND id != ?1"};
  sqlite::Statement mark_default{db.get(), "UPDATE images SET is_default = 1 WHERE id = ?1"};
  sqlite::Statement list_networks{db.get(),
                                  "SELECT " + std::string(sqlite::network_columns) + " FROM networks ORDER BY name"};
  sqlite::Statement find_network{db.get(),
                                 "SELECT " + std::string(sqlite::network_columns) + " FROM networks WHERE name = ?1"};
  sqlite::Statement insert_network{db.get(), "INSERT INTO networks (" + std::string(sqlite::network_columns) +
                                                 ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"};
  sqlite::Statement set_nat{db.get(), "UPDATE networks SET nat = ?2 WHERE name = ?1"};
  sqlite::Statement remove_network{db.get(), "DELETE FROM networks WHERE name = ?1"};
  sqlite::Statement all_leases{db.get(), "SELECT network, vm_id, address FROM leases"};
  sqlite::Statement network_leases{db.get(), "SELECT network, vm_id, address FROM leases WHERE network = ?1"};
  sqlite::Statement lease_users{
      db.get(),
      "SELECT COALESCE(vms.name, leases.vm_id) FROM leases LEFT JOIN vms ON vms.id = leases.vm_id "
      "WHERE leases.network = ?1 ORDER BY 1"};
  sqlite::Statement insert_lease{db.get(), "INSERT INTO leases (network, vm_id, address) VALUES (?1, ?2, ?3)"};
  sqlite::Statement vm_lease_networks{db.get(), "SELECT network FROM leases WHERE vm_id = ?1 ORDER BY network"};
  sqlite::Statement remove_leases{db.get(), "DELETE FROM leases WHERE vm_id = ?1"};
  sqlite::Statement version{db.get(), "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"};
  sqlite::Statement integrity{db.get(), "PRAGMA integrity_check"};

  // Binds `vm` to `s` (the insert or the update) and runs it, translating
  // constraint failures into domain errors.
  void write_vm(sqlite::Statement& s, const VmRecord& vm);
};

}  // namespace banger
