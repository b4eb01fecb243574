#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/errors.h"
#include "store/sqlite_store.h"
#include "store_fixtures.h"

namespace banger {
namespace {

using namespace banger::testing;

StoredAuthorizedKey stored(const std::string& blob, const std::string& comment, std::uint64_t at = 5,
                           std::uint32_t uid = 1000) {
  return {"ssh-ed25519 " + blob + " " + comment, blob, at, uid};
}

TEST(SqliteStoreAuthorizedKeys, RoundTripDeduplicatedByBlob) {
  SqliteStore store(":memory:");
  store.insert_vm(make_vm("id1", "web"));
  store.insert_vm(make_vm("id2", "db"));
  EXPECT_EQ(store.add_authorized_keys("id1", {stored("AAAA1", "a", 5), stored("AAAA2", "b", 6, 1001)}, 64), 2u);
  EXPECT_EQ(store.add_authorized_keys("id1", {stored("AAAA1", "renamed", 9)}, 64), 0u);
  EXPECT_EQ(store.add_authorized_keys("id2", {stored("AAAA1", "other vm", 7)}, 64), 1u);
  EXPECT_EQ(store.list_authorized_keys("id1"),
            (std::vector<StoredAuthorizedKey>{stored("AAAA1", "a", 5), stored("AAAA2", "b", 6, 1001)}));
  const auto all = store.all_authorized_keys();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all.at("id2"), std::vector<StoredAuthorizedKey>{stored("AAAA1", "other vm", 7)});

  EXPECT_EQ(store.remove_authorized_keys("id1", {"AAAA1", "AAAA9"}), 1u);
  EXPECT_EQ(store.list_authorized_keys("id1"), std::vector<StoredAuthorizedKey>{stored("AAAA2", "b", 6, 1001)});
}

TEST(SqliteStoreAuthorizedKeys, LimitRefusesTheWholeBatch) {
  SqliteStore store(":memory:");
  store.insert_vm(make_vm("id1", "web"));
  store.add_authorized_keys("id1", {stored("AAAA1", "a")}, 2);
  EXPECT_EQ(error_from([&] { store.add_authorized_keys("id1", {stored("AAAA2", "b"), stored("AAAA3", "c")}, 2); })
                .kind(),
            ErrorKind::invalid_args);
  EXPECT_EQ(store.list_authorized_keys("id1").size(), 1u);
}

TEST(SqliteStoreAuthorizedKeys, UnknownVmAndDeletedVm) {
  SqliteStore store(":memory:");
  EXPECT_EQ(error_from([&] { store.add_authorized_keys("nope", {stored("AAAA1", "a")}, 64); }).kind(),
            ErrorKind::no_such_vm);
  store.insert_vm(make_vm("id1", "web"));
  store.add_authorized_keys("id1", {stored("AAAA1", "a")}, 64);
  store.delete_vm("id1");
  EXPECT_TRUE(store.all_authorized_keys().empty());
  // A new VM that happens to get the id again starts without keys.
  store.insert_vm(make_vm("id1", "web"));
  EXPECT_TRUE(store.list_authorized_keys("id1").empty());
}

TEST(SqliteStoreAuthorizedKeys, MigratesADatabaseOfVersionFive) {
  TempDir dir;
  const auto file = dir.file("banger.db");
  const std::vector<Migration> up_to_five(builtin_migrations().begin(), builtin_migrations().begin() + 5);
  ASSERT_EQ(up_to_five.back().version, 5);
  {
    // The schema as version 5 had it, by the migrations' own SQL (today's store
    // code reads and writes later columns, so it cannot open such a database).
    RawDb raw(file);
    ASSERT_EQ(raw.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER)"), SQLITE_OK);
    for (const auto& m : up_to_five) {
      ASSERT_EQ(raw.exec(std::string(m.sql)), SQLITE_OK) << m.version;
      ASSERT_EQ(raw.exec("INSERT INTO schema_migrations VALUES (" + std::to_string(m.version) + ", 0)"), SQLITE_OK);
    }
    EXPECT_EQ(raw.exec("INSERT INTO vms (id, name, owner_uid, state, vcpus, memory_mib, image, created_at_us, "
                       "updated_at_us) VALUES ('id1', 'web', 0, 'created', 1, 512, 'img', 1, 1)"),
              SQLITE_OK);
    EXPECT_EQ(raw.scalar("SELECT COUNT(*) FROM sqlite_schema WHERE name = 'authorized_keys'"), "0");
  }
  SqliteStore store(file);
  EXPECT_GE(store.schema_version(), 6);
  EXPECT_EQ(ids(store.list_vms()), std::vector<std::string>{"id1"});
  store.add_authorized_keys("id1", {stored("AAAA1", "a")}, 64);
  EXPECT_EQ(store.list_authorized_keys("id1").size(), 1u);
}

}  // namespace
}  // namespace banger
