#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/errors.h"
#include "store/sqlite_store.h"
#include "store_fixtures.h"

namespace banger {
namespace {

using namespace banger::testing;

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

}  // namespace
}  // namespace banger
