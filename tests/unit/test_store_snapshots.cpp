// The checkpoints' rows (migration 11): names per VM, the tree of parents, sizes per owner.
#include <gtest/gtest.h>

#include "error_kind.h"
#include "store/sqlite_store.h"
#include "store_fixtures.h"

namespace banger {
namespace {

using testing::kind_of;

struct StoreSnapshotsTest : testing::StoreWithTwoVmsTest {
  SnapshotRecord snap(const std::string& id, const std::string& vm, const std::string& name, std::uint64_t at,
                      std::string parent = {}) {
    return {id, name, vm, at, 1 << 20, false, std::move(parent)};
  }
};

TEST_F(StoreSnapshotsTest, NamesAreUniquePerVmAndTheVmMustExist) {
  store.insert_snapshot(snap("s1", web.id, "before", 1));
  EXPECT_EQ(kind_of([&] { store.insert_snapshot(snap("s2", web.id, "before", 2)); }), ErrorKind::exists);
  store.insert_snapshot(snap("s3", db.id, "before", 3));
  EXPECT_EQ(kind_of([&] { store.insert_snapshot(snap("s4", "nope", "x", 4)); }), ErrorKind::no_such_vm);
  EXPECT_EQ(store.list_snapshots(web.id).size(), 1u);
  EXPECT_EQ(store.list_all_snapshots().size(), 2u);
  EXPECT_FALSE(store.find_snapshot("s2"));
}

TEST_F(StoreSnapshotsTest, InsertMakesItTheLatestAndDeleteKeepsTheTreeWhole) {
  store.insert_snapshot(snap("a", web.id, "a", 1));
  store.insert_snapshot(snap("b", web.id, "b", 2, "a"));
  store.insert_snapshot(snap("c", web.id, "c", 3, "b"));
  store.insert_snapshot(snap("d", web.id, "d", 4, "b"));
  EXPECT_EQ(store.latest_snapshot(web.id), "d");
  store.set_latest_snapshot(web.id, "b");
  const auto children = store.delete_snapshot("b");
  ASSERT_EQ(children.size(), 2u);
  EXPECT_EQ(children[0].parent, "a");
  EXPECT_EQ(store.find_snapshot("c")->parent, "a");
  EXPECT_EQ(store.find_snapshot("d")->parent, "a");
  EXPECT_EQ(store.latest_snapshot(web.id), "a") << "the VM moves up with its checkpoint";
  EXPECT_TRUE(store.delete_snapshot("a").size() == 2u);
  EXPECT_EQ(store.latest_snapshot(web.id), "");
  EXPECT_EQ(store.find_snapshot("c")->parent, "");
  EXPECT_TRUE(store.delete_snapshot("nope").empty());
}

TEST_F(StoreSnapshotsTest, SizesAddUpPerOwner) {
  store.insert_snapshot(snap("a", web.id, "a", 1));
  store.insert_snapshot(snap("b", web.id, "b", 2));
  store.insert_snapshot(snap("c", db.id, "c", 3));
  EXPECT_EQ(store.snapshot_bytes_of_owner(1000), 2u << 20);
  EXPECT_EQ(store.snapshot_bytes_of_owner(1001), 1u << 20);
  EXPECT_EQ(store.snapshot_bytes_of_owner(0), 0u);
}

}  // namespace
}  // namespace banger
