#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/errors.h"
#include "store/sqlite_store.h"
#include "store_fixtures.h"

namespace banger {
namespace {

using namespace banger::testing;

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
