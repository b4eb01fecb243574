#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/errors.h"
#include "store/migrations.h"
#include "store/sqlite_store.h"

namespace banger {
namespace {

namespace fs = std::filesystem;

VmRecord make_vm(const std::string& id, const std::string& name, std::uint64_t created = 1000) {
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

std::vector<std::string> ids(const std::vector<VmRecord>& vms) {
  std::vector<std::string> out;
  for (const auto& vm : vms) out.push_back(vm.id);
  return out;
}

const int latest = builtin_migrations().back().version;

std::vector<Migration> builtin_plus(Migration extra) {
  std::vector<Migration> steps(builtin_migrations().begin(), builtin_migrations().end());
  steps.push_back(extra);
  return steps;
}

TEST(SqliteStore, RoundTripsEveryField) {
  SqliteStore store(":memory:");
  VmRecord vm = make_vm("0f3c", "web-1", 1'700'000'000'123'456);
  vm.owner_uid = 4'000'000'000u;
  vm.state = VmState::failed;
  vm.vcpus = 16;
  vm.memory_mib = 65536;
  vm.last_error = "VMM exited: it's \"gone\" \xE2\x9C\x97";
  vm.updated_at_us = 1'700'000'000'999'999;
  vm.handles = R"({"pid":4242,"socket":"/run/banger/0f3c.sock"})";
  store.insert_vm(vm);

  const auto found = store.find_vm("0f3c");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(*found, vm);
  EXPECT_FALSE(store.find_vm("0f3").has_value());
  EXPECT_EQ(store.list_vms(), std::vector<VmRecord>{vm});
}

TEST(SqliteStore, ListsByCreationTimeThenId) {
  SqliteStore store(":memory:");
  store.insert_vm(make_vm("c", "n1", 300));
  store.insert_vm(make_vm("z", "n2", 100));
  store.insert_vm(make_vm("b", "n3", 200));
  store.insert_vm(make_vm("a", "n4", 100));
  EXPECT_EQ(ids(store.list_vms()), (std::vector<std::string>{"a", "z", "b", "c"}));
}

TEST(SqliteStore, InsertRefusesTakenNameAndId) {
  SqliteStore store(":memory:");
  store.insert_vm(make_vm("id1", "web"));

  Error by_name = error_from([&] { store.insert_vm(make_vm("id2", "web")); });
  EXPECT_EQ(by_name.kind(), ErrorKind::exists);
  EXPECT_STREQ(by_name.what(), "a VM named 'web' already exists");

  Error by_id = error_from([&] { store.insert_vm(make_vm("id1", "other")); });
  EXPECT_EQ(by_id.kind(), ErrorKind::exists);
  EXPECT_STREQ(by_id.what(), "a VM with id 'id1' already exists");
  EXPECT_EQ(ids(store.list_vms()), std::vector<std::string>{"id1"});
}

TEST(SqliteStore, UpdateWritesEverythingButIdAndCreationTime) {
  SqliteStore store(":memory:");
  const VmRecord original = make_vm("id1", "web", 500);
  store.insert_vm(original);

  VmRecord changed = original;
  changed.name = "web-renamed";
  changed.owner_uid = 7;
  changed.state = VmState::running;
  changed.vcpus = 4;
  changed.memory_mib = 2048;
  changed.image = "alpine";
  changed.last_error = "none";
  changed.created_at_us = 999;  // must be ignored
  changed.updated_at_us = 900;
  changed.backend = "qemu";
  changed.handles = "{\"pid\":1}";
  store.update_vm(changed);

  VmRecord expected = changed;
  expected.created_at_us = 500;
  EXPECT_EQ(store.find_vm("id1"), expected);
}

TEST(SqliteStore, RenameToTakenNameFailsAndChangesNothing) {
  SqliteStore store(":memory:");
  store.insert_vm(make_vm("id1", "web"));
  const VmRecord db = make_vm("id2", "db");
  store.insert_vm(db);

  VmRecord renamed = db;
  renamed.name = "web";
  renamed.state = VmState::running;
  Error e = error_from([&] { store.update_vm(renamed); });
  EXPECT_EQ(e.kind(), ErrorKind::exists);
  EXPECT_STREQ(e.what(), "a VM named 'web' already exists");
  EXPECT_EQ(store.find_vm("id2"), db);
}

TEST(SqliteStore, MissingIdsAreNoSuchVm) {
  SqliteStore store(":memory:");
  store.insert_vm(make_vm("id1", "web"));

  Error upd = error_from([&] { store.update_vm(make_vm("ghost", "x")); });
  EXPECT_EQ(upd.kind(), ErrorKind::no_such_vm);
  EXPECT_STREQ(upd.what(), "no VM with id 'ghost'");

  Error del = error_from([&] { store.delete_vm("ghost"); });
  EXPECT_EQ(del.kind(), ErrorKind::no_such_vm);
  EXPECT_STREQ(del.what(), "no VM with id 'ghost'");

  store.delete_vm("id1");
  EXPECT_FALSE(store.find_vm("id1").has_value());
  EXPECT_EQ(error_from([&] { store.delete_vm("id1"); }).kind(), ErrorKind::no_such_vm);
}

TEST(SqliteStore, ReopeningAppliesMigrationsOnlyOnce) {
  TempDir dir;
  const auto file = dir.file("banger.db");
  {
    SqliteStore store(file);
    EXPECT_EQ(store.schema_version(), latest);
    store.insert_vm(make_vm("id1", "web"));
  }
  {
    SqliteStore store(file);
    EXPECT_EQ(store.schema_version(), latest);
    EXPECT_EQ(ids(store.list_vms()), std::vector<std::string>{"id1"});
  }
  RawDb raw(file);
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM schema_migrations"), std::to_string(builtin_migrations().size()));
  EXPECT_EQ(raw.scalar("PRAGMA journal_mode"), "wal");
}

TEST(SqliteStore, AppliesOnlyMissingSteps) {
  TempDir dir;
  const auto file = dir.file("banger.db");
  { SqliteStore store(file); }
  const auto steps = builtin_plus({latest + 1, "CREATE TABLE extra (x INTEGER); INSERT INTO extra VALUES (7);"});
  {
    SqliteStore store(file, steps);
    EXPECT_EQ(store.schema_version(), latest + 1);
  }
  { SqliteStore again(file, steps); }  // re-running step latest+1 would duplicate the row
  RawDb raw(file);
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM extra"), "1");
}

TEST(SqliteStore, RefusesNewerSchema) {
  TempDir dir;
  const auto file = dir.file("banger.db");
  { SqliteStore newer(file, builtin_plus({latest + 5, "CREATE TABLE future (x INTEGER);"})); }

  Error e = error_from([&] { SqliteStore older(file); });
  EXPECT_EQ(e.kind(), ErrorKind::internal);
  EXPECT_EQ(std::string(e.what()), "database schema version " + std::to_string(latest + 5) +
                                       " is newer than this bangerd supports (" + std::to_string(latest) + ")");
}

TEST(SqliteStore, FailedMigrationRollsBackCompletely) {
  TempDir dir;
  const auto file = dir.file("banger.db");
  const auto steps =
      builtin_plus({latest + 1, "CREATE TABLE half (x INTEGER); INSERT INTO no_such_table VALUES (1);"});

  Error e = error_from([&] { SqliteStore broken(file, steps); });
  EXPECT_EQ(e.kind(), ErrorKind::internal);
  EXPECT_NE(std::string(e.what()).find("no_such_table"), std::string::npos) << e.what();

  SqliteStore store(file);
  EXPECT_EQ(store.schema_version(), latest);
  RawDb raw(file);
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM sqlite_schema WHERE name = 'half'"), "0");
}

TEST(SqliteStore, ConstraintsRejectBadRows) {
  TempDir dir;
  const auto file = dir.file("banger.db");
  SqliteStore store(file);
  RawDb raw(file);
  EXPECT_EQ(raw.exec("INSERT INTO vms (id, name, owner_uid, state, vcpus, memory_mib, image, created_at_us, "
                     "updated_at_us) VALUES ('x', 'x', 0, 'exploded', 1, 512, 'img', 1, 1)"),
            SQLITE_CONSTRAINT_CHECK);

  VmRecord no_cpus = make_vm("id1", "web");
  no_cpus.vcpus = 0;
  EXPECT_EQ(error_from([&] { store.insert_vm(no_cpus); }).kind(), ErrorKind::internal);
  EXPECT_TRUE(store.list_vms().empty());
}

TEST(SqliteStore, IntegrityCheckDetectsCorruption) {
  TempDir dir;
  const auto file = dir.file("banger.db");
  {
    SqliteStore store(file);
    for (int i = 0; i < 300; ++i) store.insert_vm(make_vm("id" + std::to_string(i), "vm" + std::to_string(i), i));
    EXPECT_TRUE(store.integrity_ok());
  }
  // Scribbling over the file's last page (a VM data or index page) damages a
  // b-tree without touching the schema pages that opening the store reads.
  const auto size = fs::file_size(file);
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(size - 2048));
  const std::string junk(1024, '\x5a');
  f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  f.close();

  SqliteStore store(file);
  EXPECT_FALSE(store.integrity_ok());
}

TEST(SqliteStore, OpenFailureIsInternalWithSqliteMessage) {
  Error e = error_from([] { SqliteStore store("/nonexistent-banger-dir/banger.db"); });
  EXPECT_EQ(e.kind(), ErrorKind::internal);
  EXPECT_NE(std::string(e.what()).find("unable to open database file"), std::string::npos) << e.what();
}

TEST(SqliteStore, ConcurrentInsertsAllLand) {
  TempDir dir;
  SqliteStore store(dir.file("banger.db"));
  constexpr int threads = 8, per_thread = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&store, &failures, t] {
      for (int i = 0; i < per_thread; ++i) {
        const std::string n = std::to_string(t) + "-" + std::to_string(i);
        try {
          store.insert_vm(make_vm("id" + n, "vm" + n, static_cast<std::uint64_t>(i)));
        } catch (const Error&) {
          ++failures;
        }
      }
    });
  for (auto& w : workers) w.join();

  EXPECT_EQ(failures.load(), 0);

  const auto all = ids(store.list_vms());
  EXPECT_EQ(all.size(), std::size_t{threads * per_thread});
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), std::size_t{threads * per_thread});
  EXPECT_TRUE(store.integrity_ok());
}

TEST(SqliteStore, ConcurrentInsertsOfOneNameHaveOneWinner) {
  SqliteStore store(":memory:");
  std::atomic<int> won{0}, lost{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 8; ++t)
    workers.emplace_back([&, t] {
      try {
        store.insert_vm(make_vm("id" + std::to_string(t), "contested"));
        ++won;
      } catch (const Error& e) {
        if (e.kind() == ErrorKind::exists) ++lost;
      }
    });
  for (auto& w : workers) w.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(lost.load(), 7);
  EXPECT_EQ(store.list_vms().size(), 1u);
}

TEST(SqliteStore, ListsThousandRowsQuickly) {
#ifdef __SANITIZE_THREAD__
  GTEST_SKIP() << "ThreadSanitizer slows SQLite down too much for a timing check";
#endif
  TempDir dir;
  SqliteStore store(dir.file("banger.db"));
  for (int i = 0; i < 1000; ++i) store.insert_vm(make_vm("id" + std::to_string(i), "vm" + std::to_string(i), i));

  // Best of several runs, so a busy CI machine does not make this flaky.
  auto best = std::chrono::steady_clock::duration::max();
  for (int run = 0; run < 5; ++run) {
    const auto start = std::chrono::steady_clock::now();
    const auto vms = store.list_vms();
    best = std::min(best, std::chrono::steady_clock::now() - start);
    ASSERT_EQ(vms.size(), 1000u);
  }
  EXPECT_LT(best, std::chrono::milliseconds(10));
}

ImageRecord make_image(const std::string& id, const std::string& name, std::uint64_t created = 1000) {
  ImageRecord image;
  image.id = id;
  image.name = name;
  image.kernel = "/state/images/" + id + "/vmlinuz";
  image.vmlinux = "/state/images/" + id + "/vmlinux";
  image.initrd = "/state/images/" + id + "/initrd.img";
  image.rootfs = "/state/images/" + id + "/rootfs.ext4";
  image.size_bytes = 1 << 30;
  image.created_at_us = created;
  return image;
}

TEST(SqliteStoreImages, RoundTripsEveryFieldAndOrdersByCreation) {
  SqliteStore store(":memory:");
  store.insert_image(make_image("b", "second", 2000));
  store.insert_image(make_image("a", "first", 1000));
  auto found = store.find_image("b");
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, make_image("b", "second", 2000));
  auto all = store.list_images();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "first");
  EXPECT_FALSE(store.find_image("c"));
}

TEST(SqliteStoreImages, RefusesTakenNameAndId) {
  SqliteStore store(":memory:");
  store.insert_image(make_image("a", "debian"));
  for (const auto& dup : {make_image("b", "debian"), make_image("a", "other")}) {
    try {
      store.insert_image(dup);
      ADD_FAILURE() << "inserted " << dup.id << "/" << dup.name;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::exists);
    }
  }
  EXPECT_EQ(store.list_images().size(), 1u);
}

TEST(SqliteStoreImages, OneDefaultAtMost) {
  SqliteStore store(":memory:");
  store.insert_image(make_image("a", "alpha"));
  store.insert_image(make_image("b", "beta"));
  store.set_default_image("a");
  store.set_default_image("a");  // again: no change, no error
  store.set_default_image("b");
  EXPECT_FALSE(store.find_image("a")->is_default);
  EXPECT_TRUE(store.find_image("b")->is_default);
  try {
    store.set_default_image("missing");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::no_such_image);
  }
  EXPECT_TRUE(store.find_image("b")->is_default) << "a failed change keeps the old default";
}

TEST(SqliteStoreImages, DeleteRefusedWhileAVmReferencesTheImage) {
  SqliteStore store(":memory:");
  store.insert_image(make_image("img", "debian"));
  auto vm = make_vm("vm1", "web");
  vm.image = "img";
  store.insert_vm(vm);
  try {
    store.delete_image("img");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::busy);
    EXPECT_NE(std::string(e.what()).find("web"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(store.find_image("img"));
  store.delete_vm("vm1");
  store.delete_image("img");
  EXPECT_FALSE(store.find_image("img"));
  try {
    store.delete_image("img");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::no_such_image);
  }
}

}  // namespace
}  // namespace banger
