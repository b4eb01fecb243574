#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "stats/stats_poller.h"
#include "stats_fixtures.h"

namespace banger::stats {
namespace {

using namespace std::chrono_literals;
using testing::StatsTree;
using testing::ticks_per_second;

struct Recorded {
  std::string id;
  VmStats stats;
};

class RecordingObserver final : public VmStatsObserver {
 public:
  void vm_stats_changed(const std::string& vm_id, const VmStats& stats) override { seen.push_back({vm_id, stats}); }
  std::vector<Recorded> seen;
};

VmRecord vm(const std::string& id, VmState state, const std::string& network = "default") {
  VmRecord r;
  r.id = id;
  r.name = "vm-" + id;
  r.state = state;
  r.network = network;
  return r;
}

class StatsPollerTest : public ::testing::Test {
 protected:
  StatsPollerTest() {
    tree.uptime(1000);
    tree.process(1, 0, 0, 0, 0, 0, 0, "/daemon");
    tree.process(100, 10 * hz, 0, 900 * hz, 4096, 1000, 2000, "/daemon");
    tree.tap("tap-a", 10, 20);
  }

  StatsPoller make() {
    return StatsPoller(
        observer,
        [this](const std::string& id) -> std::optional<VmmProcess> {
          auto it = vmms.find(id);
          if (it == vmms.end()) return std::nullopt;
          return it->second;
        },
        [](const VmRecord& r) { return r.network.empty() ? std::string() : "tap-" + r.id; },
        StatsSources{tree.proc(), tree.sys(), tree.cgroup(), 1});
  }

  const std::uint64_t hz = ticks_per_second();
  StatsTree tree;
  RecordingObserver observer;
  std::map<std::string, VmmProcess> vmms{{"a", {100, 900 * ticks_per_second()}}};
  std::chrono::steady_clock::time_point t0{std::chrono::seconds(5000)};
};

TEST_F(StatsPollerTest, ARunningVmsFiguresArePublished) {
  auto poller = make();
  poller.track_running({vm("a", VmState::running), vm("b", VmState::stopped)});
  poller.poll(t0);
  ASSERT_EQ(observer.seen.size(), 1u);
  const auto& first = observer.seen[0];
  EXPECT_EQ(first.id, "a");
  EXPECT_EQ(first.stats.cpu_percent, 0);  // no interval yet
  EXPECT_EQ(first.stats.memory_rss_bytes, 4096u * 1024);
  EXPECT_EQ(first.stats.block_read_bytes, 1000u);
  EXPECT_EQ(first.stats.block_write_bytes, 2000u);
  EXPECT_EQ(first.stats.net_rx_bytes, 20u);
  EXPECT_EQ(first.stats.net_tx_bytes, 10u);
  EXPECT_EQ(first.stats.uptime_s, 100u);
}

TEST_F(StatsPollerTest, CpuPercentIsOverTheTimeBetweenRounds) {
  auto poller = make();
  poller.track_running({vm("a", VmState::running)});
  poller.poll(t0);
  tree.process(100, 10 * hz + hz / 2, hz / 2, 900 * hz, 4096, 1000, 2000, "/daemon");  // 1 s of CPU
  tree.uptime(1002);
  poller.poll(t0 + 2s);
  ASSERT_EQ(observer.seen.size(), 2u);
  EXPECT_DOUBLE_EQ(observer.seen[1].stats.cpu_percent, 50.0);
  EXPECT_EQ(observer.seen[1].stats.uptime_s, 102u);
}

TEST_F(StatsPollerTest, NothingIsPublishedWhileNothingButUptimeChanges) {
  auto poller = make();
  poller.track_running({vm("a", VmState::running)});
  poller.poll(t0);
  tree.uptime(1002);
  poller.poll(t0 + 2s);
  tree.uptime(1004);
  poller.poll(t0 + 4s);
  EXPECT_EQ(observer.seen.size(), 1u);
  tree.tap("tap-a", 10, 5000);  // a ping's reply
  poller.poll(t0 + 6s);
  ASSERT_EQ(observer.seen.size(), 2u);
  EXPECT_EQ(observer.seen[1].stats.net_rx_bytes, 5000u);
  EXPECT_EQ(observer.seen[1].stats.uptime_s, 104u);
}

TEST_F(StatsPollerTest, AStoppedVmGoesToZeroAndIsNoLongerRead) {
  auto poller = make();
  poller.vm_changed(vm("a", VmState::starting), vm("a", VmState::running), "started");
  poller.poll(t0);
  ASSERT_EQ(observer.seen.size(), 1u);
  poller.vm_changed(vm("a", VmState::running), vm("a", VmState::stopping), "stop requested");
  ASSERT_EQ(observer.seen.size(), 2u);
  EXPECT_EQ(observer.seen[1].stats, VmStats{});
  tree.process(100, 99 * hz, 0, 900 * hz, 1, 1, 1, "/daemon");
  poller.poll(t0 + 2s);
  EXPECT_EQ(observer.seen.size(), 2u);
}

TEST_F(StatsPollerTest, AStopBeforeAnyRoundPublishesNothing) {
  auto poller = make();
  poller.vm_changed(vm("a", VmState::starting), vm("a", VmState::running), "started");
  poller.vm_changed(vm("a", VmState::running), vm("a", VmState::stopped), "stopped");
  poller.vm_removed(vm("a", VmState::stopped));
  poller.poll(t0);
  EXPECT_TRUE(observer.seen.empty());
}

TEST_F(StatsPollerTest, AReusedPidIsNotTakenForTheVmm) {
  vmms["a"] = {100, 123};  // the VMM that started at tick 123 is gone; pid 100 is another process
  auto poller = make();
  poller.track_running({vm("a", VmState::running)});
  poller.poll(t0);
  EXPECT_TRUE(observer.seen.empty());
}

TEST_F(StatsPollerTest, AVmWithoutHandlesYetIsReadOnceItHasThem) {
  vmms.clear();
  auto poller = make();
  poller.track_running({vm("a", VmState::running)});
  poller.poll(t0);
  EXPECT_TRUE(observer.seen.empty());
  vmms["a"] = {100, 900 * hz};
  poller.poll(t0 + 2s);
  EXPECT_EQ(observer.seen.size(), 1u);
}

TEST_F(StatsPollerTest, AVmWithoutNetworkHasNoTraffic) {
  auto poller = make();
  poller.track_running({vm("a", VmState::running, "")});
  poller.poll(t0);
  ASSERT_EQ(observer.seen.size(), 1u);
  EXPECT_EQ(observer.seen[0].stats.net_rx_bytes, 0u);
}

TEST_F(StatsPollerTest, AJailedVmmsOwnCgroupIsPreferred) {
  tree.process(100, 10 * hz, 0, 900 * hz, 4096, 1000, 2000, "/jail/a");
  tree.cgroup_counters("/jail/a", 1'000'000, 7'000'000, "8:0 rbytes=11 wbytes=22\n");
  auto poller = make();
  poller.track_running({vm("a", VmState::running)});
  poller.poll(t0);
  tree.cgroup_counters("/jail/a", 1'500'000, 7'000'000, "8:0 rbytes=11 wbytes=22\n");  // 0.5 s
  poller.poll(t0 + 2s);
  ASSERT_EQ(observer.seen.size(), 2u);
  EXPECT_EQ(observer.seen[0].stats.memory_rss_bytes, 7'000'000u);
  EXPECT_EQ(observer.seen[0].stats.block_read_bytes, 11u);
  EXPECT_EQ(observer.seen[0].stats.block_write_bytes, 22u);
  EXPECT_DOUBLE_EQ(observer.seen[1].stats.cpu_percent, 25.0);
}

}  // namespace
}  // namespace banger::stats
