#pragma once
// Records, database files and error capture shared by the test_store*.cpp files.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/errors.h"
#include "store/migrations.h"
#include "store/sqlite_store.h"

namespace banger::testing {

namespace fs = std::filesystem;

inline VmRecord make_vm(const std::string& id, const std::string& name, std::uint64_t created = 1000) {
  VmRecord vm;
  vm.id = id;
  vm.name = name;
  vm.owner_uid = 1000;
  vm.state = VmState::created;
  vm.vcpus = 2;
  vm.memory_mib = 1024;
  vm.image = "debian-12";
  vm.created_at_us = created;
  vm.updated_at_us = created;
  vm.backend = "firecracker";
  return vm;
}

// An in-memory store with two VMs, for the tables whose rows belong to VMs
// (forwards, checkpoints): web (owner 1000) and db (owner 1001).
struct StoreWithTwoVmsTest : ::testing::Test {
  SqliteStore store{":memory:"};
  VmRecord web = make_vm("id-web", "web", 1);
  VmRecord db = make_vm("id-db", "db", 2);
  void SetUp() override {
    db.owner_uid = 1001;
    store.insert_vm(web);
    store.insert_vm(db);
  }
};

// A private directory for database files, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "banger-store-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() { fs::remove_all(path_); }
  fs::path file(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

// Direct access to a database file, for checks and damage the Store API cannot express.
class RawDb {
 public:
  explicit RawDb(const fs::path& file) {
    if (sqlite3_open(file.c_str(), &db_) != SQLITE_OK) throw std::runtime_error("cannot open");
    sqlite3_extended_result_codes(db_, 1);
  }
  ~RawDb() { sqlite3_close(db_); }
  int exec(const std::string& sql) { return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr); }
  std::string scalar(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    std::string out = "<none>";
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW)
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

template <typename F>
Error error_from(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "expected banger::Error";
  return Error(ErrorKind::internal, "<no error thrown>");
}

inline std::vector<std::string> ids(const std::vector<VmRecord>& vms) {
  std::vector<std::string> out;
  for (const auto& vm : vms) out.push_back(vm.id);
  return out;
}

inline const int latest = builtin_migrations().back().version;

inline std::vector<Migration> builtin_plus(Migration extra) {
  std::vector<Migration> steps(builtin_migrations().begin(), builtin_migrations().end());
  steps.push_back(extra);
  return steps;
}

}  // namespace banger::testing
