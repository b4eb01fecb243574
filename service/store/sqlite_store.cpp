#include "store/sqlite_store.h"

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>

#include "core/errors.h"
#include "store/sqlite_store_impl.h"

namespace banger {

namespace sqlite {

namespace {

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

}  // namespace

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

}  // namespace sqlite

SqliteStore::SqliteStore(const std::filesystem::path& db_file) : SqliteStore(db_file, builtin_migrations()) {}

SqliteStore::SqliteStore(const std::filesystem::path& db_file, std::span<const Migration> migrations)
    : impl_(std::make_unique<Impl>(db_file, migrations)) {}

SqliteStore::~SqliteStore() = default;

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
