#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "core/errors.h"
#include "store/sqlite_store.h"
#include "store/sqlite_store_impl.h"
#include "store_fixtures.h"

namespace banger {
namespace {

using namespace banger::testing;

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

// A VM row as a database of an older step takes it: only the columns of the
// first step (the store's own statements name every column of the latest).
const std::string insert_old_vm =
    "INSERT INTO vms (id, name, owner_uid, state, vcpus, memory_mib, image, created_at_us, updated_at_us, backend) "
    "VALUES ('id1', 'web', 1000, 'created', 2, 1024, 'debian-12', 1000, 1000, 'firecracker')";

// Migration 9 (issue 19): a database of the step before takes the state 'paused'
// afterwards, still refuses a state that is none, and keeps every VM's rows in
// other tables (a rebuild of vms would have cascaded their deletes).
TEST(SqliteStore, MigrationNineLetsAVmBePausedAndKeepsItsRows) {
  TempDir dir;
  const auto file = dir.file("banger.db");
  const std::vector<Migration> before_pause(builtin_migrations().begin(), builtin_migrations().begin() + 8);
  ASSERT_EQ(before_pause.back().version, 8);
  sqlite::open_db(file, before_pause);  // the store's statements would name columns not there yet
  RawDb raw(file);
  ASSERT_EQ(raw.exec(insert_old_vm), SQLITE_OK);
  ASSERT_EQ(raw.exec("INSERT INTO authorized_keys VALUES ('id1', 'line', 'blob', 1, 0)"), SQLITE_OK);
  SqliteStore store(file);
  EXPECT_EQ(store.schema_version(), latest);
  auto vm = store.find_vm("id1").value();
  vm.state = VmState::paused;
  store.update_vm(vm);
  EXPECT_EQ(store.find_vm("id1")->state, VmState::paused);
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM authorized_keys"), "1");
  EXPECT_EQ(raw.exec("UPDATE vms SET state = 'exploded' WHERE id = 'id1'"), SQLITE_CONSTRAINT_CHECK);
  EXPECT_EQ(raw.scalar("PRAGMA integrity_check"), "ok");
}

// Migration 10 (issue 19): 'suspended' too, on a database of the step before, with the same care.
TEST(SqliteStore, MigrationTenLetsAVmBeSuspendedAndKeepsItsRows) {
  TempDir dir;
  const auto file = dir.file("banger.db");
  const std::vector<Migration> before_suspend(builtin_migrations().begin(), builtin_migrations().begin() + 9);
  ASSERT_EQ(before_suspend.back().version, 9);
  sqlite::open_db(file, before_suspend);  // the store's statements would name columns not there yet
  RawDb raw(file);
  ASSERT_EQ(raw.exec(insert_old_vm), SQLITE_OK);
  ASSERT_EQ(raw.exec("INSERT INTO authorized_keys VALUES ('id1', 'line', 'blob', 1, 0)"), SQLITE_OK);
  ASSERT_EQ(raw.exec("UPDATE vms SET state = 'suspended' WHERE id = 'id1'"), SQLITE_CONSTRAINT_CHECK);
  SqliteStore store(file);
  EXPECT_EQ(store.schema_version(), latest);
  auto vm = store.find_vm("id1").value();
  for (auto state : {VmState::suspended, VmState::paused}) {
    vm.state = state;
    store.update_vm(vm);
    EXPECT_EQ(store.find_vm("id1")->state, state);
  }
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM authorized_keys"), "1");
  EXPECT_EQ(raw.exec("UPDATE vms SET state = 'exploded' WHERE id = 'id1'"), SQLITE_CONSTRAINT_CHECK);
  EXPECT_EQ(raw.scalar("PRAGMA integrity_check"), "ok");
}

// Migration 11 (issue 19): named checkpoints, on a database of the step before:
// its VMs keep their rows, take checkpoints, and lose them with their row.
TEST(SqliteStore, MigrationElevenKeepsCheckpointsThatGoWithTheirVm) {
  TempDir dir;
  const auto file = dir.file("banger.db");
  const std::vector<Migration> before_snapshots(builtin_migrations().begin(), builtin_migrations().begin() + 10);
  ASSERT_EQ(before_snapshots.back().version, 10);
  sqlite::open_db(file, before_snapshots);  // the store's statements name later columns
  RawDb raw(file);
  ASSERT_EQ(raw.exec(insert_old_vm), SQLITE_OK);
  ASSERT_EQ(raw.exec("INSERT INTO authorized_keys VALUES ('id1', 'line', 'blob', 1, 0)"), SQLITE_OK);
  ASSERT_NE(raw.exec("SELECT * FROM snapshots"), SQLITE_OK);
  SqliteStore store(file);
  EXPECT_GE(store.schema_version(), 11);
  store.insert_snapshot({"s1", "before", "id1", 5, 4096, true, ""});
  EXPECT_EQ(store.find_snapshot("s1")->name, "before");
  EXPECT_EQ(store.latest_snapshot("id1"), "s1");
  EXPECT_EQ(raw.exec("INSERT INTO snapshots VALUES ('s2', 'id1', 'before', 6, 0, 0, '')"), SQLITE_CONSTRAINT_UNIQUE)
      << "names are unique per VM";
  EXPECT_EQ(raw.exec("INSERT INTO snapshots VALUES ('s3', 'id1', 'x', 6, 0, 2, '')"), SQLITE_CONSTRAINT_CHECK);
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM authorized_keys"), "1");
  store.delete_vm("id1");
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM snapshots"), "0");
  EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM snapshot_latest"), "0");
  EXPECT_EQ(raw.scalar("PRAGMA integrity_check"), "ok");
}

// Migration 12 (issue 19, idle sleep): a database of the steps before keeps its
// VMs, which never sleep; the column refuses a negative time.
TEST(SqliteStore, MigrationTwelveAddsIdleSuspendAsNever) {
  TempDir dir;
  const auto file = dir.file("banger.db");
  std::vector<Migration> before;
  for (const auto& m : builtin_migrations())
    if (m.version < 12) before.push_back(m);
  ASSERT_EQ(before.size() + 1, builtin_migrations().size());
  sqlite::open_db(file, before);  // the store's statements would name columns not there yet
  RawDb raw(file);
  ASSERT_EQ(raw.exec(insert_old_vm), SQLITE_OK);
  ASSERT_EQ(raw.exec("UPDATE vms SET idle_suspend_s = 60"), SQLITE_ERROR) << "no such column yet";
  SqliteStore store(file);
  EXPECT_EQ(store.schema_version(), latest);
  EXPECT_EQ(store.find_vm("id1")->idle_suspend_s, 0u);
  EXPECT_EQ(raw.exec("UPDATE vms SET idle_suspend_s = -1 WHERE id = 'id1'"), SQLITE_CONSTRAINT_CHECK);
  EXPECT_EQ(raw.scalar("PRAGMA integrity_check"), "ok");
}

TEST(SqliteStore, IntegrityCheckDetectsCorruption) {
  TempDir dir;
  const auto file = dir.file("banger.db");
  {
    SqliteStore store(file);
    for (int i = 0; i < 300; ++i) store.insert_vm(make_vm("id" + std::to_string(i), "vm" + std::to_string(i), i));
    EXPECT_TRUE(store.integrity_ok());
  }
  // Scribbling over the start of the file's last page (a VM data or index
  // page: its b-tree page header and cell pointers, never unused space, so the
  // damage shows whatever the rows' layout) damages a b-tree without touching
  // the schema pages that opening the store reads. Pages are SQLite's default 4096 bytes.
  const auto size = fs::file_size(file);
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(size - 4096));
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

}  // namespace
}  // namespace banger
