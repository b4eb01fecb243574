// Start-up recovery (core/start_up_recovery.h): the VMs settled first, then
// every part's sweep, then every part's follow, then the images.
#include "core/start_up_recovery.h"

#include "core/image_manager.h"
#include "mock_recovery_part.h"
#include "vm_manager_fixture.h"

namespace banger {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::InSequence;
using ::testing::Invoke;
using testing::MockRecoveryPart;

class NoImageEvents final : public ImageEvents {
 public:
  void image_added(const ImageRecord&) override {}
  void image_changed(const ImageRecord&) override {}
  void image_removed(const ImageRecord&) override {}
};

struct StartUpRecoveryTest : VmManagerTest {
  testing::RecordingWatch new_watch;
  // bangerd again, over the same store and runtime dir, with nothing in memory.
  HandlesFiles new_handles{runtime};
  VmManager restarted{{store, backends, caps, events, new_handles, &new_watch}, {200ms, 1500ms, runtime}};
  NoImageEvents image_events;
  ImageManager images{{store, image_events}, runtime};
  std::shared_ptr<MockRecoveryPart> first = std::make_shared<NiceMock<MockRecoveryPart>>();
  std::shared_ptr<MockRecoveryPart> second = std::make_shared<NiceMock<MockRecoveryPart>>();
};

TEST_F(StartUpRecoveryTest, SweepsThenFollowsInTheOrderGivenOnceTheVmsAreSettled) {
  auto alive = running("alive");
  ON_CALL(backend, launch(_)).WillByDefault(Return(R"({"pid":43,"start_time":430})"));
  auto gone = running("gone");
  EXPECT_CALL(backend, adopt(handles_42)).WillRepeatedly(Return(true));
  EXPECT_CALL(backend, adopt(R"({"pid":43,"start_time":430})")).WillRepeatedly(Return(false));
  // A VM the sweeps see is settled already: "gone" stopped, only "alive"'s VMM recorded.
  auto settled = [&](const RecoveredVms& recovered) {
    ASSERT_EQ(recovered.vms.size(), 2u);
    for (const auto& vm : recovered.vms)
      EXPECT_EQ(vm.state, vm.id == alive.id ? VmState::running : VmState::stopped) << vm.name;
    EXPECT_EQ(recovered.recorded_vmms, (std::vector<VmmProcess>{{42, 420}}));
  };
  {
    InSequence in_order;
    EXPECT_CALL(*first, sweep(_)).WillOnce(Invoke(settled));
    EXPECT_CALL(*second, sweep(_)).WillOnce(Invoke(settled));
    EXPECT_CALL(*first, follow(_));
    EXPECT_CALL(*second, follow(_));
  }
  (void)recover_at_start_up(restarted, images, {first, second});
  EXPECT_EQ(new_watch.watched(), (std::map<std::string, VmmProcess>{{alive.id, {42, 420}}}));
  EXPECT_EQ(state_of(gone.id), VmState::stopped);
}

TEST_F(StartUpRecoveryTest, FollowersAreToldOfEveryVmAsSettled) {
  auto alive = running("alive");
  auto stopped = created("idle");
  EXPECT_CALL(backend, adopt(handles_42)).WillRepeatedly(Return(true));
  EXPECT_CALL(*first, follow(ElementsAre(AllOf(Field(&VmRecord::id, alive.id), Field(&VmRecord::state, VmState::running)),
                                         AllOf(Field(&VmRecord::id, stopped.id),
                                               Field(&VmRecord::state, VmState::created)))));
  (void)recover_at_start_up(restarted, images, {first});
}

TEST_F(StartUpRecoveryTest, ImagesAreRecoveredLast) {
  // An import a killed bangerd left halfway: a directory named like an image id that no image has.
  const auto unfinished = runtime / "images" / std::string(32, 'a');
  std::filesystem::create_directories(unfinished);
  EXPECT_CALL(*first, follow(_)).WillOnce(Invoke([&](const std::vector<VmRecord>&) {
    EXPECT_TRUE(std::filesystem::exists(unfinished)) << "not before the parts";
  }));
  (void)recover_at_start_up(restarted, images, {first});
  EXPECT_FALSE(std::filesystem::exists(unfinished));
}

TEST(StartUpRecovery, AVmmMayRunWhileItsVmRunsStartsOrStops) {
  EXPECT_TRUE(vmm_may_run(VmState::running));
  EXPECT_TRUE(vmm_may_run(VmState::starting));
  EXPECT_TRUE(vmm_may_run(VmState::stopping));
  EXPECT_FALSE(vmm_may_run(VmState::creating));
  EXPECT_FALSE(vmm_may_run(VmState::created));
  EXPECT_FALSE(vmm_may_run(VmState::stopped));
  EXPECT_FALSE(vmm_may_run(VmState::failed));
}

}  // namespace
}  // namespace banger
