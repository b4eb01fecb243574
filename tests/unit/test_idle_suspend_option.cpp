// Idle sleep (issue 19): the idle_suspend option at CreateVM and Set, its
// range, the stored column (migration 12), and a clone that keeps it.
#include <gtest/gtest.h>

#include "core/options.h"
#include "error_kind.h"
#include "store/sqlite_store.h"
#include "store_fixtures.h"
#include "vm_manager_fixture.h"

namespace banger {
namespace {

using testing::kind_of;
using testing::make_vm;

const HostLimits limits{4, 8192};
const CreateDefaults defaults{1, 512, "default"};

TEST(IdleSuspendOption, NeverUnlessAskedForAtCreate) {
  EXPECT_EQ(parse_create_request("web", {}, defaults, limits).idle_suspend_s, 0u);
  EXPECT_EQ(parse_create_request("web", {{"idle_suspend", std::uint32_t{900}}}, defaults, limits).idle_suspend_s, 900u);
  EXPECT_EQ(kind_of([] { parse_create_request("web", {{"idle_suspend", true}}, defaults, limits); }),
            ErrorKind::invalid_args);
  EXPECT_EQ(kind_of([] { parse_create_request("web", {{"idle_suspend", std::uint64_t{900}}}, defaults, limits); }),
            ErrorKind::invalid_args);
}

TEST(IdleSuspendOption, ZeroOrWithinTheRange) {
  for (std::uint32_t ok : {0u, min_idle_suspend_s, 3600u, max_idle_suspend_s})
    EXPECT_EQ(parse_changes({{"idle_suspend", ok}}, limits).idle_suspend_s, ok);
  for (std::uint32_t bad : {1u, min_idle_suspend_s - 1, max_idle_suspend_s + 1, UINT32_MAX}) {
    Error e = testing::error_from([&] { parse_changes({{"idle_suspend", bad}}, limits); });
    EXPECT_EQ(e.kind(), ErrorKind::invalid_args) << bad;
    EXPECT_NE(std::string(e.what()).find("option 'idle_suspend'"), std::string::npos) << e.what();
  }
}

TEST(IdleSuspendOption, SetChangesItAtAnyTime) {
  const auto changes = parse_changes({{"idle_suspend", std::uint32_t{60}}}, limits);
  EXPECT_FALSE(changes.touches_hardware()) << "so it may change while the VM runs";
}

TEST(IdleSuspendStore, TheColumnIsKeptWithTheVm) {
  SqliteStore store{":memory:"};
  auto web = make_vm("id-web", "web");
  store.insert_vm(web);
  EXPECT_EQ(store.find_vm(web.id)->idle_suspend_s, 0u);
  web.idle_suspend_s = max_idle_suspend_s;
  store.update_vm(web);
  EXPECT_EQ(store.find_vm(web.id)->idle_suspend_s, max_idle_suspend_s);
}

TEST_F(VmManagerTest, IdleSuspendIsSetAtCreateAndBySetAndKeptByAClone) {
  CreateSpec spec{"web", 2, 256, "default", {}};
  spec.idle_suspend_s = 600;
  auto web = manager.finish_create(manager.begin_create(spec, 1000).id, progress);
  EXPECT_EQ(web.idle_suspend_s, 600u);
  auto copy = manager.begin_clone(web.id, "web-2", 1000);
  EXPECT_EQ(copy.idle_suspend_s, 600u) << "a copy sleeps when idle as its source does";
  manager.finish_clone(copy.id, web.id, progress);

  auto running_vm = running("db");
  VmChanges changes;
  changes.idle_suspend_s = 30;
  EXPECT_EQ(manager.set(running_vm.id, changes).idle_suspend_s, 30u) << "any time, also while running";
  EXPECT_EQ(store.find_vm(running_vm.id)->idle_suspend_s, 30u);
}

}  // namespace
}  // namespace banger
