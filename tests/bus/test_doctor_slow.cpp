// Manager.Doctor needs no authorization, so it must not let one caller hold up
// everyone (issue 17, finding 8): its checks run off the bus thread, and calls
// arriving while a run is under way share it. Here QEMU's binary takes 1 s to
// answer --version (tests/bus/data/slow-qemu-version.sh) and is asked once per
// binary as it is on disk, so each test below makes its daemon fresh.
#include <future>
#include <vector>

#include "test_support.h"

namespace banger::test {
namespace {

class DoctorSlow : public ClientTest {
 protected:
  // A bangerd that has not asked the slow QEMU yet.
  void SetUp() override {
    ClientTest::SetUp();
    env().restart_daemon();
  }
  RunResult doctor() { return env().busctl("", {"call", kService, kRoot, kManager, "Doctor"}); }
};

TEST_F(DoctorSlow, OtherCallsAnswerWhileDoctorWaitsForAProbe) {
  auto slow = std::async(std::launch::async, [this] { return doctor(); });
  std::this_thread::sleep_for(200ms);  // Doctor is waiting for QEMU's --version by now
  const auto began = std::chrono::steady_clock::now();
  const auto list = env().busctl("", {"call", kService, kRoot, kManager, "ListVMs"});
  const auto took = std::chrono::steady_clock::now() - began;
  EXPECT_TRUE(list.ok()) << list.describe();
  EXPECT_LT(took, 600ms) << "ListVMs waited for Doctor's probe";
  EXPECT_TRUE(slow.get().ok());
}

TEST_F(DoctorSlow, ConcurrentCallsShareOneRun) {
  const auto began = std::chrono::steady_clock::now();
  std::vector<std::future<RunResult>> calls;
  for (int i = 0; i < 6; ++i) calls.push_back(std::async(std::launch::async, [this] { return doctor(); }));
  for (auto& c : calls) {
    const auto r = c.get();
    EXPECT_TRUE(r.ok()) << r.describe();
    EXPECT_NE(r.out.find("slow stand-in"), std::string::npos) << r.out;
  }
  // One after another on the bus thread they took 6 x 1 s.
  EXPECT_LT(std::chrono::steady_clock::now() - began, 3500ms);
}

}  // namespace
}  // namespace banger::test
