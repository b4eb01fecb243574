// Idle sleep (issue 19): core/idle_suspend.h's policy over mocked signals:
// what counts as activity, the threshold, 0 = never, paused VMs, and a suspend
// that fails.
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>

#include "core/idle_suspend.h"
#include "core/vm_sessions.h"
#include "store_fixtures.h"

namespace banger {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct MockSignals final : IdleSignals {
  std::map<std::string, IdleSample> samples;
  std::optional<IdleSample> sample(const VmRecord& vm) override {
    auto found = samples.find(vm.id);
    if (found == samples.end()) return std::nullopt;
    return found->second;
  }
};

struct IdleSuspendTest : ::testing::Test {
  std::vector<VmRecord> vms;
  MockSignals signals;
  std::vector<std::pair<std::string, std::string>> suspended;  // (id, note)
  bool suspend_fails = false;
  IdleSuspender idle{{[this] { return vms; }, signals,
                      [this](const VmRecord& vm, const std::string& note) {
                        if (suspend_fails) throw std::runtime_error("VM 'web' is busy");
                        suspended.emplace_back(vm.id, note);
                      }}};
  Clock::time_point t0 = Clock::now();

  IdleSuspendTest() { vms.push_back(vm("id-web", "web", 60)); }
  static VmRecord vm(const std::string& id, const std::string& name, std::uint32_t idle_s,
                     VmState state = VmState::running) {
    auto v = testing::make_vm(id, name);
    v.state = state;
    v.idle_suspend_s = idle_s;
    return v;
  }
  // Looks every 10 s from t0 + from to t0 + to, the guest spending `cpu_per_look` each time.
  void look(std::chrono::seconds from, std::chrono::seconds to, std::chrono::nanoseconds cpu_per_look = 0ns,
            const std::string& id = "id-web") {
    for (auto at = from; at <= to; at += 10s) {
      signals.samples[id].cpu += cpu_per_look;
      idle.tick(t0 + at);
    }
  }
};

TEST_F(IdleSuspendTest, AnIdleVmIsSuspendedOnceItsTimeIsUpWithTheReason) {
  signals.samples["id-web"] = {};
  look(0s, 50s);
  EXPECT_TRUE(suspended.empty()) << "50 s of 60";
  look(60s, 60s);
  ASSERT_EQ(suspended.size(), 1u);
  EXPECT_EQ(suspended[0].first, "id-web");
  EXPECT_EQ(suspended[0].second, "suspended after 60 s idle");
}

TEST_F(IdleSuspendTest, EachKindOfActivityStartsTheClockOver) {
  const std::vector<std::pair<const char*, std::function<void(IdleSample&)>>> kinds = {
      {"traffic through the tap", [](IdleSample& s) { s.tap_bytes += 60; }},
      {"a session open", [](IdleSample& s) { s.sessions_open = 1; }},
      {"a session begun and ended between two looks", [](IdleSample& s) { s.sessions_begun += 1; }},
      {"CPU at the threshold", [](IdleSample& s) { s.cpu += 200ms; }},  // 2 % of 10 s
  };
  auto at = 0s;
  for (const auto& [what, act] : kinds) {
    // Back from the last kind's suspend: not running for a look, so a new clock.
    vms[0].state = VmState::suspended;
    idle.tick(t0 + at);
    vms[0].state = VmState::running;
    signals.samples["id-web"] = {};
    look(at, at + 50s);
    act(signals.samples["id-web"]);
    look(at + 60s, at + 60s);
    signals.samples["id-web"].sessions_open = 0;
    look(at + 70s, at + 110s);
    EXPECT_TRUE(suspended.empty()) << what << " at 60 s: idle for only 50 s since";
    look(at + 120s, at + 120s);
    EXPECT_EQ(suspended.size(), 1u) << what << ": idle for 60 s after it";
    suspended.clear();
    at += 1000s;
  }
}

TEST_F(IdleSuspendTest, CpuUnderTheThresholdIsIdle) {
  signals.samples["id-web"] = {};
  look(0s, 60s, 190ms);  // 1.9 % of one CPU
  EXPECT_EQ(suspended.size(), 1u);
}

TEST_F(IdleSuspendTest, AnOpenSessionKeepsItUpWhileItLasts) {
  signals.samples["id-web"] = {.sessions_open = 1};
  look(0s, 600s);
  EXPECT_TRUE(suspended.empty());
}

TEST_F(IdleSuspendTest, ZeroMeansNeverAndPausedOrStoppedVmsAreLeftAlone) {
  vms = {vm("id-never", "never", 0), vm("id-paused", "paused", 60, VmState::paused),
         vm("id-stopped", "stopped", 60, VmState::stopped)};
  for (const auto& v : vms) signals.samples[v.id] = {};
  look(0s, 600s);
  EXPECT_TRUE(suspended.empty());
}

TEST_F(IdleSuspendTest, UnreadableCountersAreNotIdle) {
  for (auto at = 0s; at <= 600s; at += 10s) idle.tick(t0 + at);  // no sample at all for web
  EXPECT_TRUE(suspended.empty());
}

TEST_F(IdleSuspendTest, AFailedSuspendIsLoggedAndTriedAgainAfterAnotherIdlePeriodNotInALoop) {
  signals.samples["id-web"] = {};
  suspend_fails = true;
  ::testing::internal::CaptureStderr();
  look(0s, 60s);
  const auto log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("could not be suspended"), std::string::npos) << log;
  EXPECT_NE(log.find("VM 'web' is busy"), std::string::npos) << log;
  suspend_fails = false;
  look(70s, 110s);
  EXPECT_TRUE(suspended.empty()) << "not at every look after the failure";
  look(120s, 120s);
  ASSERT_EQ(suspended.size(), 1u) << "again after another 60 s";
}

TEST_F(IdleSuspendTest, AVmBackFromSleepStartsANewClock) {
  signals.samples["id-web"] = {};
  look(0s, 60s);
  ASSERT_EQ(suspended.size(), 1u);
  vms[0].state = VmState::suspended;
  look(70s, 500s);
  vms[0].state = VmState::running;
  look(510s, 560s);
  EXPECT_EQ(suspended.size(), 1u) << "50 s since it runs again";
  look(570s, 570s);
  EXPECT_EQ(suspended.size(), 2u);
}

TEST_F(IdleSuspendTest, ACounterThatWentBackIsActivity) {
  signals.samples["id-web"] = {.cpu = 10s};
  look(0s, 50s);
  signals.samples["id-web"].cpu = 1s;  // another VMM process
  look(60s, 110s);
  EXPECT_TRUE(suspended.empty());
  look(120s, 120s);
  EXPECT_EQ(suspended.size(), 1u);
}

TEST(VmSessions, HeldWhileTheHandleLivesAndCountedAsBegun) {
  VmSessions sessions;
  EXPECT_EQ(sessions.counts("a").open, 0u);
  {
    auto one = sessions.hold("a");
    auto copy = one;
    sessions.begun("a");
    EXPECT_EQ(sessions.counts("a").open, 1u);
    EXPECT_EQ(sessions.counts("a").begun, 2u);
    EXPECT_EQ(sessions.counts("b").begun, 0u);
  }
  EXPECT_EQ(sessions.counts("a").open, 0u);
  EXPECT_EQ(sessions.counts("a").begun, 2u);
}

}  // namespace
}  // namespace banger
