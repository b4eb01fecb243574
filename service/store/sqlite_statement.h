#pragma once
// Thin RAII wrappers over the SQLite C API shared by the sqlite_store*.cpp
// files; not part of the store's interface.
#include <sqlite3.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/errors.h"

namespace banger::sqlite {

[[noreturn]] inline void fail(sqlite3* db, std::string_view what) {
  throw Error(ErrorKind::internal, std::string(what) + ": " + sqlite3_errmsg(db));
}

inline void exec(sqlite3* db, const char* sql, std::string_view what) {
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
    // Sizes and instants, stored as INTEGER (SQLite has no unsigned type).
    std::uint64_t uint64(int col) const { return static_cast<std::uint64_t>(int64(col)); }
    bool flag(int col) const { return int64(col) != 0; }  // 0 or 1
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

// Every row the cursor yields, each made a record by `read`; the cursor as
// run() or bind() returns it: read_rows(find.run().bind(1, id), read_x).
template <class Read>
auto read_rows(Statement::Cursor& c, Read read) {
  std::vector<std::invoke_result_t<Read, const Statement::Cursor&>> rows;
  while (c.step()) rows.push_back(read(c));
  return rows;
}
template <class Read>
auto read_rows(Statement::Cursor&& c, Read read) {
  return read_rows(c, read);
}

// The first row the cursor yields, made a record by `read`, if there is one.
template <class Read>
auto read_first(Statement::Cursor& c, Read read) -> std::optional<std::invoke_result_t<Read, const Statement::Cursor&>> {
  if (!c.step()) return std::nullopt;
  return read(c);
}

// Joins the first column of every row, e.g. the names of a resource's users.
inline std::string joined_first_column(Statement::Cursor& c) {
  std::string joined;
  while (c.step()) joined += (joined.empty() ? "" : ", ") + c.text(0);
  return joined;
}

struct ConstraintError {
  int rc;  // the extended result code, e.g. SQLITE_CONSTRAINT_UNIQUE
  std::string message;
};

// Ends a write: SQLITE_DONE passes, a listed constraint failure becomes its
// ErrorKind::exists error, anything else an internal error naming `what`.
inline void check_write(sqlite3* db, int rc, std::initializer_list<ConstraintError> known, std::string_view what) {
  if (rc == SQLITE_DONE) return;
  for (const auto& k : known)
    if (rc == k.rc) throw Error(ErrorKind::exists, k.message);
  fail(db, what);
}

}  // namespace banger::sqlite
