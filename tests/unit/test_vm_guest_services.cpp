// The VM verbs beyond the lifecycle as the bus edge holds them (issue 18):
// whatever this bangerd runs without answers not_supported when the verb is
// done (after authorization), while the arguments are checked all the same.
#include <gtest/gtest.h>

#include "capabilities/vm_guest_services.h"
#include "core/worker_pool.h"
#include "workspace/workspace_service.h"
#include "core/errors.h"
#include "error_kind.h"
#include "vm_manager_fixture.h"

namespace banger {
namespace {

using testing::kind_of;

struct VmGuestServicesTest : VmManagerTest {
  VmGuestKeys keys{manager, nullptr};
  VmForwards forwards{manager, nullptr};
  VmConsoles consoles{manager, nullptr};
};

TEST_F(VmGuestServicesTest, WhatThisBangerdRunsWithoutIsNotSupportedWhenDone) {
  const std::string key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me@host";
  EXPECT_EQ(kind_of([&] { keys.add("any", {key}, 1000); }), ErrorKind::not_supported);
  EXPECT_EQ(kind_of([&] { keys.remove("any", {}); }), ErrorKind::not_supported);
  EXPECT_EQ(kind_of([&] { forwards.add("any", "tcp", 8080, 80); }), ErrorKind::not_supported);
  EXPECT_EQ(kind_of([&] { forwards.remove("any", "tcp", 8080); }), ErrorKind::not_supported);
  EXPECT_EQ(kind_of([&] { consoles.open("any"); }), ErrorKind::not_supported);
}

TEST_F(VmGuestServicesTest, ArgumentsAreCheckedWhetherOrNotTheVerbIsSupported) {
  EXPECT_EQ(kind_of([&] { keys.check_keys({"not a key"}); }), ErrorKind::invalid_args);
  EXPECT_EQ(kind_of([&] { keys.check_fingerprints({"MD5:00"}); }), ErrorKind::invalid_args);
  EXPECT_NO_THROW(keys.check_fingerprints({"SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"}));
}

TEST_F(VmGuestServicesTest, WorkspacesWithoutAWorkspaceServiceAreNotSupportedOnceAuthorized) {
  TransferSlots slots(2, 1);
  WorkerPool threads(1);
  VmWorkspaces workspaces(nullptr, slots, threads);
  using Direction = WorkspaceService::Direction;
  EXPECT_EQ(kind_of([&] { workspaces.check_options(Direction::push, {{"colour", OptionValue(true)}}); }),
            ErrorKind::invalid_args);
  EXPECT_NO_THROW(workspaces.check_options(Direction::pull, {{"source", OptionValue(std::string("src"))}}));
  EXPECT_EQ(kind_of([&] { workspaces.begin(Direction::push, "any", 1000, UniqueFd(), {}); }), ErrorKind::not_supported);
  EXPECT_NO_THROW(slots.acquire(1000)) << "a refused transfer took no slot";
}

}  // namespace
}  // namespace banger
