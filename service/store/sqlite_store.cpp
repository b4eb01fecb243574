#include "store/sqlite_store.h"

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>

#include "core/errors.h"

namespace banger {

namespace {

[[noreturn]] void fail(sqlite3* db, std::string_view what) {
  throw Error(ErrorKind::internal, std::string(what) + ": " + sqlite3_errmsg(db));
}

void exec(sqlite3* db, const char* sql, std::string_view what) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(db, what);
}

struct DbCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using DbHandle = std::unique_ptr<sqlite3, DbCloser>;

// A statement prepared once and reused; run() hands out a Cursor whose
// destructor resets it, so a reused statement never keeps a read snapshot
// (or stale bindings) alive between calls.
class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql) : db_(db) {
    if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &stmt_, nullptr) != SQLITE_OK)
      fail(db, "cannot prepare statement");
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  class Cursor {
   public:
    explicit Cursor(Statement& s) : s_(s) {}
    ~Cursor() {
      sqlite3_reset(s_.stmt_);
      sqlite3_clear_bindings(s_.stmt_);
    }
    Cursor(const Cursor&) = delete;
    Cursor& operator=(const Cursor&) = delete;

    Cursor& bind(int index, std::string_view text) {
      // A null data pointer would bind SQL NULL, which NOT NULL columns reject.
      const char* data = text.data() != nullptr ? text.data() : "";
      check(sqlite3_bind_text(s_.stmt_, index, data, static_cast<int>(text.size()), SQLITE_STATIC));
      return *this;
    }
    Cursor& bind(int index, std::int64_t value) {
      check(sqlite3_bind_int64(s_.stmt_, index, value));
      return *this;
    }
    // SQLITE_ROW, SQLITE_DONE or an error code left for the caller to map.
    int step_rc() { return sqlite3_step(s_.stmt_); }
    bool step() {
      const int rc = step_rc();
      if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail(s_.db_, "database query failed");
      return rc == SQLITE_ROW;
    }
    std::int64_t int64(int col) const { return sqlite3_column_int64(s_.stmt_, col); }
    std::string text(int col) const {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_.stmt_, col));
      return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_.stmt_, col)))
               : std::string();
    }

   private:
    void check(int rc) {
      if (rc != SQLITE_OK) fail(s_.db_, "cannot bind parameter");
    }
    Statement& s_;
  };

  Cursor run() { return Cursor(*this); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE takes the write lock up front, so a transaction never fails
// half-way with SQLITE_BUSY when it upgrades from reading to writing.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) { exec(db, "BEGIN IMMEDIATE", "cannot begin transaction"); }
  ~Transaction() {
    if (db_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit() {
    exec(db_, "COMMIT", "cannot commit transaction");
    db_ = nullptr;
  }

 private:
  sqlite3* db_;
};

int max_version(sqlite3* db) {
  Statement s(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  auto c = s.run();
  c.step();
  return static_cast<int>(c.int64(0));
}

void migrate(sqlite3* db, std::span<const Migration> steps) {
  for (std::size_t i = 1; i < steps.size(); ++i)
    if (steps[i].version <= steps[i - 1].version)
      throw Error(ErrorKind::internal, "schema migrations are not in ascending version order");
  const int known = steps.empty() ? 0 : steps.back().version;

  exec(db, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER)",
       "cannot create schema_migrations");
  if (const int found = max_version(db); found > known)
    throw Error(ErrorKind::internal, "database schema version " + std::to_string(found) +
                                         " is newer than this bangerd supports (" + std::to_string(known) + ")");

  Statement applied(db, "SELECT 1 FROM schema_migrations WHERE version = ?1");
  Statement record(db, "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)");
  for (const Migration& m : steps) {
    // Checked inside the transaction so two daemons opening the same file
    // cannot both apply a step.
    Transaction tx(db);
    if (applied.run().bind(1, std::int64_t{m.version}).step()) continue;
    const std::string sql(m.sql);  // sqlite3_exec needs NUL termination
    exec(db, sql.c_str(), "schema migration " + std::to_string(m.version) + " failed");
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::system_clock::now().time_since_epoch());
    record.run().bind(1, std::int64_t{m.version}).bind(2, std::int64_t{now.count()}).step();
    tx.commit();
  }
}

DbHandle open_db(const std::filesystem::path& file, std::span<const Migration> steps) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &raw,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  DbHandle db(raw);
  const std::string where = "cannot open database '" + file.string() + "'";
  if (rc != SQLITE_OK) {
    if (!db) throw Error(ErrorKind::internal, where + ": out of memory");
    fail(db.get(), where);
  }
  sqlite3_extended_result_codes(db.get(), 1);
  if (sqlite3_busy_timeout(db.get(), 5000) != SQLITE_OK) fail(db.get(), where);
  if (file != ":memory:") exec(db.get(), "PRAGMA journal_mode=WAL", where);
  exec(db.get(), "PRAGMA foreign_keys=ON", where);
  exec(db.get(), "PRAGMA synchronous=NORMAL", where);
  migrate(db.get(), steps);
  return db;
}

constexpr std::string_view columns =
    "id, name, owner_uid, state, vcpus, memory_mib, image, last_error, created_at_us, updated_at_us, "
    "backend, handles";

std::string select_sql(std::string_view tail) {
  return "SELECT " + std::string(columns) + " FROM vms " + std::string(tail);
}

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
      .bind(12, vm.handles);
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
  vm.created_at_us = static_cast<std::uint64_t>(c.int64(8));
  vm.updated_at_us = static_cast<std::uint64_t>(c.int64(9));
  vm.backend = c.text(10);
  vm.handles = c.text(11);
  return vm;
}

[[noreturn]] void no_such_vm(const std::string& id) {
  throw Error(ErrorKind::no_such_vm, "no VM with id '" + id + "'");
}

constexpr std::string_view image_columns =
    "id, name, kernel, vmlinux, initrd, rootfs, size_bytes, created_at_us, is_default";

ImageRecord read_image(const Statement::Cursor& c) {
  ImageRecord image;
  image.id = c.text(0);
  image.name = c.text(1);
  image.kernel = c.text(2);
  image.vmlinux = c.text(3);
  image.initrd = c.text(4);
  image.rootfs = c.text(5);
  image.size_bytes = static_cast<std::uint64_t>(c.int64(6));
  image.created_at_us = static_cast<std::uint64_t>(c.int64(7));
  image.is_default = c.int64(8) != 0;
  return image;
}

[[noreturn]] void no_such_image(const std::string& id) {
  throw Error(ErrorKind::no_such_image, "no image with id '" + id + "'");
}

constexpr std::string_view network_columns = "name, bridge, subnet, gateway, nat, dns_domain, created_at_us";

NetworkRecord read_network(const Statement::Cursor& c) {
  NetworkRecord network;
  network.name = c.text(0);
  network.bridge = c.text(1);
  network.subnet = c.text(2);
  network.gateway = c.text(3);
  network.nat = c.int64(4) != 0;
  network.dns_domain = c.text(5);
  network.created_at_us = static_cast<std::uint64_t>(c.int64(6));
  return network;
}

[[noreturn]] void no_such_network(const std::string& name) {
  throw Error(ErrorKind::no_such_network, "no network named '" + name + "'");
}

}  // namespace

struct SqliteStore::Impl {
  Impl(const std::filesystem::path& file, std::span<const Migration> steps) : db(open_db(file, steps)) {}

  // Declared first: it must be migrated before the statements below are
  // prepared against its tables, and destroyed after they are finalized.
  DbHandle db;
  std::mutex mutex;
  Statement list{db.get(), select_sql("ORDER BY created_at_us, id")};
  Statement find{db.get(), select_sql("WHERE id = ?1")};
  Statement insert{db.get(), "INSERT INTO vms (" + std::string(columns) +
                                 ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"};
  Statement update{db.get(),
                   "UPDATE vms SET name = ?2, owner_uid = ?3, state = ?4, vcpus = ?5, memory_mib = ?6, "
                   "image = ?7, last_error = ?8, updated_at_us = ?10, backend = ?11, handles = ?12 "
                   "WHERE id = ?1"};
  Statement remove{db.get(), "DELETE FROM vms WHERE id = ?1"};
  Statement list_images{db.get(), "SELECT " + std::string(image_columns) + " FROM images ORDER BY created_at_us, id"};
  Statement find_image{db.get(), "SELECT " + std::string(image_columns) + " FROM images WHERE id = ?1"};
  Statement insert_image{db.get(), "INSERT INTO images (" + std::string(image_columns) +
                                       ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0)"};
  Statement image_users{db.get(), "SELECT name FROM vms WHERE image = ?1 ORDER BY name"};
  Statement remove_image{db.get(), "DELETE FROM images WHERE id = ?1"};
  Statement clear_default{db.get(), "UPDATE images SET is_default = 0 WHERE is_default = 1 AND id != ?1"};
  Statement mark_default{db.get(), "UPDATE images SET is_default = 1 WHERE id = ?1"};
  Statement list_networks{db.get(), "SELECT " + std::string(network_columns) + " FROM networks ORDER BY name"};
  Statement find_network{db.get(), "SELECT " + std::string(network_columns) + " FROM networks WHERE name = ?1"};
  Statement insert_network{db.get(), "INSERT INTO networks (" + std::string(network_columns) +
                                         ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"};
  Statement set_nat{db.get(), "UPDATE networks SET nat = ?2 WHERE name = ?1"};
  Statement remove_network{db.get(), "DELETE FROM networks WHERE name = ?1"};
  Statement all_leases{db.get(), "SELECT network, vm_id, address FROM leases"};
  Statement network_leases{db.get(), "SELECT network, vm_id, address FROM leases WHERE network = ?1"};
  Statement lease_users{db.get(),
                        "SELECT COALESCE(vms.name, leases.vm_id) FROM leases LEFT JOIN vms ON vms.id = leases.vm_id "
                        "WHERE leases.network = ?1 ORDER BY 1"};
  Statement insert_lease{db.get(), "INSERT INTO leases (network, vm_id, address) VALUES (?1, ?2, ?3)"};
  Statement vm_lease_networks{db.get(), "SELECT network FROM leases WHERE vm_id = ?1 ORDER BY network"};
  Statement remove_leases{db.get(), "DELETE FROM leases WHERE vm_id = ?1"};
  Statement version{db.get(), "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"};
  Statement integrity{db.get(), "PRAGMA integrity_check"};

  // Runs a write statement and translates constraint failures into domain errors.
  void write(Statement::Cursor& c, const VmRecord& vm) {
    const int rc = c.step_rc();
    if (rc == SQLITE_DONE) return;
    if (rc == SQLITE_CONSTRAINT_UNIQUE)
      throw Error(ErrorKind::exists, "a VM named '" + vm.name + "' already exists");
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
      throw Error(ErrorKind::exists, "a VM with id '" + vm.id + "' already exists");
    fail(db.get(), "cannot write VM '" + vm.id + "'");
  }
};

SqliteStore::SqliteStore(const std::filesystem::path& db_file) : SqliteStore(db_file, builtin_migrations()) {}

SqliteStore::SqliteStore(const std::filesystem::path& db_file, std::span<const Migration> migrations)
    : impl_(std::make_unique<Impl>(db_file, migrations)) {}

SqliteStore::~SqliteStore() = default;

std::vector<VmRecord> SqliteStore::list_vms() {
  std::lock_guard lock(impl_->mutex);
  std::vector<VmRecord> vms;
  auto c = impl_->list.run();
  while (c.step()) vms.push_back(read_record(c));
  return vms;
}

std::optional<VmRecord> SqliteStore::find_vm(const std::string& id) {
  std::lock_guard lock(impl_->mutex);
  auto c = impl_->find.run();
  if (!c.bind(1, id).step()) return std::nullopt;
  return read_record(c);
}

void SqliteStore::insert_vm(const VmRecord& vm) {
  std::lock_guard lock(impl_->mutex);
  Transaction tx(impl_->db.get());
  {
    auto c = impl_->insert.run();
    bind_record(c, vm);
    impl_->write(c, vm);
  }
  tx.commit();
}

void SqliteStore::update_vm(const VmRecord& vm) {
  std::lock_guard lock(impl_->mutex);
  Transaction tx(impl_->db.get());
  {
    auto c = impl_->update.run();
    bind_record(c, vm);
    impl_->write(c, vm);
  }
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

std::vector<ImageRecord> SqliteStore::list_images() {
  std::lock_guard lock(impl_->mutex);
  std::vector<ImageRecord> images;
  auto c = impl_->list_images.run();
  while (c.step()) images.push_back(read_image(c));
  return images;
}

std::optional<ImageRecord> SqliteStore::find_image(const std::string& id) {
  std::lock_guard lock(impl_->mutex);
  auto c = impl_->find_image.run();
  if (!c.bind(1, id).step()) return std::nullopt;
  return read_image(c);
}

void SqliteStore::insert_image(const ImageRecord& image) {
  std::lock_guard lock(impl_->mutex);
  Transaction tx(impl_->db.get());
  {
    auto c = impl_->insert_image.run();
    c.bind(1, image.id)
        .bind(2, image.name)
        .bind(3, image.kernel)
        .bind(4, image.vmlinux)
        .bind(5, image.initrd)
        .bind(6, image.rootfs)
        .bind(7, static_cast<std::int64_t>(image.size_bytes))
        .bind(8, static_cast<std::int64_t>(image.created_at_us));
    const int rc = c.step_rc();
    if (rc == SQLITE_CONSTRAINT_UNIQUE)
      throw Error(ErrorKind::exists, "an image named '" + image.name + "' already exists");
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
      throw Error(ErrorKind::exists, "an image with id '" + image.id + "' already exists");
    if (rc != SQLITE_DONE) fail(impl_->db.get(), "cannot write image '" + image.id + "'");
  }
  tx.commit();
}

void SqliteStore::delete_image(const std::string& id) {
  std::lock_guard lock(impl_->mutex);
  // The check and the delete share one write transaction, so no VM can start
  // referencing the image in between.
  Transaction tx(impl_->db.get());
  std::string users;
  {
    auto c = impl_->image_users.run();
    c.bind(1, id);
    while (c.step()) users += (users.empty() ? "" : ", ") + c.text(0);
  }
  if (!users.empty()) throw Error(ErrorKind::busy, "the image is in use by VMs: " + users + " (delete them first)");
  impl_->remove_image.run().bind(1, id).step();
  if (sqlite3_changes(impl_->db.get()) == 0) no_such_image(id);
  tx.commit();
}

void SqliteStore::set_default_image(const std::string& id) {
  std::lock_guard lock(impl_->mutex);
  Transaction tx(impl_->db.get());
  impl_->clear_default.run().bind(1, id).step();
  impl_->mark_default.run().bind(1, id).step();
  if (sqlite3_changes(impl_->db.get()) == 0) no_such_image(id);
  tx.commit();
}

namespace {

// Fills each record's leases from one query's rows (network, vm_id, address).
void attach_leases(Statement::Cursor&& c, std::vector<NetworkRecord>& networks) {
  while (c.step())
    for (auto& n : networks)
      if (n.name == c.text(0)) n.leases.emplace(c.text(1), c.text(2));
}

}  // namespace

std::vector<NetworkRecord> SqliteStore::list_networks() {
  std::lock_guard lock(impl_->mutex);
  std::vector<NetworkRecord> networks;
  {
    auto c = impl_->list_networks.run();
    while (c.step()) networks.push_back(read_network(c));
  }
  attach_leases(impl_->all_leases.run(), networks);
  return networks;
}

std::optional<NetworkRecord> SqliteStore::find_network(const std::string& name) {
  std::lock_guard lock(impl_->mutex);
  std::vector<NetworkRecord> found;
  {
    auto c = impl_->find_network.run();
    if (!c.bind(1, name).step()) return std::nullopt;
    found.push_back(read_network(c));
  }
  auto leases = impl_->network_leases.run();
  leases.bind(1, name);
  attach_leases(std::move(leases), found);
  return found.front();
}

void SqliteStore::insert_network(const NetworkRecord& network) {
  std::lock_guard lock(impl_->mutex);
  Transaction tx(impl_->db.get());
  {
    auto c = impl_->insert_network.run();
    c.bind(1, network.name)
        .bind(2, network.bridge)
        .bind(3, network.subnet)
        .bind(4, network.gateway)
        .bind(5, std::int64_t{network.nat ? 1 : 0})
        .bind(6, network.dns_domain)
        .bind(7, static_cast<std::int64_t>(network.created_at_us));
    const int rc = c.step_rc();
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
      throw Error(ErrorKind::exists, "a network named '" + network.name + "' already exists");
    if (rc == SQLITE_CONSTRAINT_UNIQUE)
      throw Error(ErrorKind::exists, "another network already has bridge '" + network.bridge + "' or subnet " +
                                         network.subnet);
    if (rc != SQLITE_DONE) fail(impl_->db.get(), "cannot write network '" + network.name + "'");
  }
  tx.commit();
}

void SqliteStore::set_network_nat(const std::string& name, bool nat) {
  std::lock_guard lock(impl_->mutex);
  Transaction tx(impl_->db.get());
  impl_->set_nat.run().bind(1, name).bind(2, std::int64_t{nat ? 1 : 0}).step();
  if (sqlite3_changes(impl_->db.get()) == 0) no_such_network(name);
  tx.commit();
}

void SqliteStore::delete_network(const std::string& name) {
  std::lock_guard lock(impl_->mutex);
  // As for images: the check and the delete share one write transaction.
  Transaction tx(impl_->db.get());
  std::string users;
  {
    auto c = impl_->lease_users.run();
    c.bind(1, name);
    while (c.step()) users += (users.empty() ? "" : ", ") + c.text(0);
  }
  if (!users.empty()) throw Error(ErrorKind::busy, "the network is in use by VMs: " + users + " (delete them first)");
  impl_->remove_network.run().bind(1, name).step();
  if (sqlite3_changes(impl_->db.get()) == 0) no_such_network(name);
  tx.commit();
}

void SqliteStore::insert_lease(const std::string& network, const std::string& vm_id, const std::string& address) {
  std::lock_guard lock(impl_->mutex);
  Transaction tx(impl_->db.get());
  {
    auto c = impl_->insert_lease.run();
    const int rc = c.bind(1, network).bind(2, vm_id).bind(3, address).step_rc();
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
      throw Error(ErrorKind::exists, "VM " + vm_id + " already has an address on network '" + network + "'");
    if (rc == SQLITE_CONSTRAINT_UNIQUE)
      throw Error(ErrorKind::exists, "address " + address + " is already leased on network '" + network + "'");
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
      if (!impl_->find.run().bind(1, vm_id).step()) throw Error(ErrorKind::no_such_vm, "no VM with id '" + vm_id + "'");
      no_such_network(network);
    }
    if (rc != SQLITE_DONE) fail(impl_->db.get(), "cannot write the lease of VM " + vm_id);
  }
  tx.commit();
}

std::vector<std::string> SqliteStore::delete_leases(const std::string& vm_id) {
  std::lock_guard lock(impl_->mutex);
  Transaction tx(impl_->db.get());
  std::vector<std::string> networks;
  {
    auto c = impl_->vm_lease_networks.run();
    c.bind(1, vm_id);
    while (c.step()) networks.push_back(c.text(0));
  }
  impl_->remove_leases.run().bind(1, vm_id).step();
  tx.commit();
  return networks;
}

int SqliteStore::schema_version() {
  std::lock_guard lock(impl_->mutex);
  auto c = impl_->version.run();
  c.step();
  return static_cast<int>(c.int64(0));
}

bool SqliteStore::integrity_ok() {
  std::lock_guard lock(impl_->mutex);
  auto c = impl_->integrity.run();
  // A healthy database answers with exactly one row, "ok".
  if (!c.step() || c.text(0) != "ok") return false;
  return !c.step();
}

}  // namespace banger
