// Per-VM jailer uids (issue 8, least privilege): one uid per VM, stable until
// its delete, never the same for two VMs, refused when the range is used up.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/errors.h"
#include "vmm/firecracker/jailer.h"
#include "vmm/firecracker/jailer_ids.h"

namespace banger {
namespace {

namespace fs = std::filesystem;

class JailerIdsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/banger-jailer-ids-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    root = dir;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  fs::path root;
};

TEST_F(JailerIdsTest, EachVmGetsItsOwnUidAndKeepsIt) {
  JailerIds ids(root / "uids", 900000, 4);
  const JailOwner a = ids.acquire("vm-a");
  const JailOwner b = ids.acquire("vm-b");
  EXPECT_EQ(a.uid, 900000u);
  EXPECT_EQ(a.gid, a.uid) << "each VM's group is its own too";
  EXPECT_EQ(b.uid, 900001u);
  EXPECT_EQ(ids.acquire("vm-a").uid, a.uid) << "stable across starts";
  ASSERT_TRUE(ids.held_by("vm-b"));
  EXPECT_EQ(ids.held_by("vm-b")->uid, b.uid);
  EXPECT_FALSE(ids.held_by("vm-c"));
  EXPECT_EQ(ids.free_count(), 2u);
}

TEST_F(JailerIdsTest, ClaimsOutliveTheAllocator) {
  // A restarted daemon (a new JailerIds on the same directory) sees the same holders.
  const JailOwner before = JailerIds(root / "uids", 5000, 8).acquire("vm-a");
  JailerIds after(root / "uids", 5000, 8);
  ASSERT_TRUE(after.held_by("vm-a"));
  EXPECT_EQ(after.held_by("vm-a")->uid, before.uid);
  EXPECT_NE(after.acquire("vm-b").uid, before.uid);
}

TEST_F(JailerIdsTest, ReleaseFreesTheUidForTheNextVm) {
  JailerIds ids(root / "uids", 900000, 2);
  ids.acquire("vm-a");
  const JailOwner b = ids.acquire("vm-b");
  try {
    ids.acquire("vm-c");
    FAIL() << "a third VM got a uid from a range of two";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::resource_exhausted) << e.what();
  }
  ids.release("vm-b");
  ids.release("vm-b");  // idempotent
  ids.release("never-held");
  EXPECT_FALSE(ids.held_by("vm-b"));
  EXPECT_EQ(ids.acquire("vm-c").uid, b.uid);
}

TEST_F(JailerIdsTest, ConcurrentAllocatorsNeverShareAUid) {
  // Two allocators (as two daemons would be) and several threads each: O_EXCL-like
  // claims keep every uid to one VM.
  JailerIds first(root / "uids", 1000, 64), second(root / "uids", 1000, 64);
  std::vector<std::vector<std::uint32_t>> got(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      JailerIds& ids = t % 2 ? second : first;
      for (int i = 0; i < 8; ++i) got[t].push_back(ids.acquire("vm-" + std::to_string(t) + "-" + std::to_string(i)).uid);
    });
  for (auto& thread : threads) thread.join();
  std::set<std::uint32_t> distinct;
  for (const auto& uids : got) distinct.insert(uids.begin(), uids.end());
  EXPECT_EQ(distinct.size(), 64u);
  EXPECT_EQ(*distinct.begin(), 1000u);
  EXPECT_EQ(*distinct.rbegin(), 1063u);
  EXPECT_EQ(first.free_count(), 0u);
}

TEST_F(JailerIdsTest, OnlyAConfiguredJailerWithARangeAllocates) {
  FirecrackerSettings settings;
  EXPECT_EQ(make_jailer_ids(settings, root), nullptr) << "no jailer: firecracker runs directly";
  settings.jailer = "/usr/bin/jailer";
  auto ids = make_jailer_ids(settings, root);
  ASSERT_NE(ids, nullptr);
  EXPECT_EQ(ids->base(), 900000u);
  EXPECT_EQ(ids->count(), 64u);
  settings.jailer_uid_count = 0;
  EXPECT_EQ(make_jailer_ids(settings, root), nullptr) << "count 0: the fixed jailer_uid for all";
}

TEST_F(JailerIdsTest, TheJailerIsToldTheVmsOwnUid) {
  FirecrackerSettings settings;
  settings.jailer = "/usr/bin/jailer";
  settings.jailer_uid = 1;
  const auto argv = jailer_command_line(settings, "abc", JailOwner{900007, 900007});
  auto flag = [&](const std::string& name) {
    for (std::size_t i = 0; i + 1 < argv.size(); ++i)
      if (argv[i] == name) return argv[i + 1];
    return std::string();
  };
  EXPECT_EQ(flag("--uid"), "900007");
  EXPECT_EQ(flag("--gid"), "900007");
}

}  // namespace
}  // namespace banger
