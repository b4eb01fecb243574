#include <gtest/gtest.h>

#include "stats/cgroup_counters.h"
#include "stats/counter_files.h"
#include "stats/process_counters.h"
#include "stats/tap_counters.h"
#include "core/vm_stats.h"
#include "stats_fixtures.h"

namespace banger::stats {
namespace {

using namespace std::chrono_literals;
using testing::StatsTree;
using testing::ticks_per_second;

TEST(StatsReaders, KeyedNumbersAreFoundOnlyAtLineStarts) {
  const std::string text = "xread_bytes: 7\nread_bytes:   42\nwrite_bytes: 5";
  EXPECT_EQ(keyed_number(text, "read_bytes:"), 42u);
  EXPECT_EQ(keyed_number(text, "write_bytes:"), 5u);
  EXPECT_EQ(keyed_number(text, "rchar:"), std::nullopt);
  EXPECT_EQ(leading_number("  12 kB"), 12u);
  EXPECT_EQ(leading_number("kB"), std::nullopt);
}

TEST(StatsReaders, ProcessCountersComeFromStatStatusAndIo) {
  StatsTree tree;
  const auto hz = ticks_per_second();
  tree.process(4242, 3 * hz, 1 * hz, 500 * hz, 2048, 4096, 8192);
  const auto counters = read_process_counters(tree.proc(), 4242);
  ASSERT_TRUE(counters);
  EXPECT_EQ(counters->cpu, 4s);
  EXPECT_EQ(counters->start_ticks, 500 * hz);
  EXPECT_EQ(counters->rss_bytes, 2048u * 1024);
  EXPECT_EQ(counters->read_bytes, 4096u);
  EXPECT_EQ(counters->write_bytes, 8192u);
}

TEST(StatsReaders, AGoneProcessHasNoCounters) {
  StatsTree tree;
  EXPECT_EQ(read_process_counters(tree.proc(), 4242), std::nullopt);
  tree.write(tree.proc() / "4242" / "stat", "4242 (truncated");
  EXPECT_EQ(read_process_counters(tree.proc(), 4242), std::nullopt);
}

TEST(StatsReaders, MissingStatusAndIoReadAsZero) {
  StatsTree tree;
  tree.process(7, 1, 1, 1, 10, 10, 10);
  std::filesystem::remove(tree.proc() / "7" / "io");
  std::filesystem::remove(tree.proc() / "7" / "status");
  const auto counters = read_process_counters(tree.proc(), 7);
  ASSERT_TRUE(counters);
  EXPECT_EQ(counters->rss_bytes, 0u);
  EXPECT_EQ(counters->read_bytes, 0u);
}

TEST(StatsReaders, UptimeCountsFromTheProcessStart) {
  StatsTree tree;
  tree.uptime(1000.5);
  const auto boot = read_boot_uptime(tree.proc());
  ASSERT_TRUE(boot);
  EXPECT_DOUBLE_EQ(*boot, 1000.5);
  EXPECT_EQ(process_uptime_s(*boot, 400 * ticks_per_second()), 600u);
  EXPECT_EQ(process_uptime_s(10, 20 * ticks_per_second()), 0u);
}

TEST(StatsReaders, TapCountersAreTurnedToTheGuestsView) {
  StatsTree tree;
  tree.tap("bgt0123", 100, 2000);
  const auto traffic = read_guest_traffic(tree.sys(), "bgt0123");
  ASSERT_TRUE(traffic);
  EXPECT_EQ(traffic->rx_bytes, 2000u);  // the host sent it into the tap
  EXPECT_EQ(traffic->tx_bytes, 100u);
  EXPECT_EQ(read_guest_traffic(tree.sys(), "bgtgone"), std::nullopt);
}

TEST(StatsReaders, CgroupCountersSumEveryDevice) {
  StatsTree tree;
  tree.cgroup_counters("/jail/fc1", 2'500'000, 123456,
                       "8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n"
                       "253:1 rbytes=1000 wbytes=2000 rios=3 wios=4 dbytes=0 dios=0\n");
  const auto counters = read_cgroup_counters(tree.cgroup() / "jail" / "fc1");
  ASSERT_TRUE(counters);
  EXPECT_EQ(counters->cpu, 2500ms);
  EXPECT_EQ(counters->memory_bytes, 123456u);
  EXPECT_EQ(counters->read_bytes, 1100u);
  EXPECT_EQ(counters->write_bytes, 2200u);
  EXPECT_EQ(read_cgroup_counters(tree.cgroup() / "nothing"), std::nullopt);
}

TEST(StatsReaders, ControllersACgroupLacksAreUnknownNotZero) {
  StatsTree tree;
  tree.write(tree.cgroup() / "g" / "cpu.stat", "usage_usec 10\n");
  const auto counters = read_cgroup_counters(tree.cgroup() / "g");
  ASSERT_TRUE(counters);
  EXPECT_EQ(counters->memory_bytes, std::nullopt);
  EXPECT_EQ(counters->read_bytes, std::nullopt);
}

TEST(StatsReaders, OnlyACgroupOfTheVmmsOwnIsUsed) {
  StatsTree tree;
  tree.process(1, 0, 0, 0, 0, 0, 0, "/system.slice/bangerd.service");  // the daemon
  tree.process(2, 0, 0, 0, 0, 0, 0, "/system.slice/bangerd.service");  // a VMM beside it
  tree.process(3, 0, 0, 0, 0, 0, 0, "/firecracker/vm3");               // a jailed VMM
  tree.process(4, 0, 0, 0, 0, 0, 0, "/");                               // the root cgroup
  tree.process(5, 0, 0, 0, 0, 0, 0, "/gone");                           // no such directory
  tree.cgroup_counters("/system.slice/bangerd.service", 1, 1, "");
  tree.cgroup_counters("/firecracker/vm3", 1, 1, "");
  EXPECT_EQ(vmm_cgroup(tree.proc(), tree.cgroup(), 2, 1), std::nullopt);
  EXPECT_EQ(vmm_cgroup(tree.proc(), tree.cgroup(), 3, 1), tree.cgroup() / "firecracker" / "vm3");
  EXPECT_EQ(vmm_cgroup(tree.proc(), tree.cgroup(), 4, 1), std::nullopt);
  EXPECT_EQ(vmm_cgroup(tree.proc(), tree.cgroup(), 5, 1), std::nullopt);
  EXPECT_EQ(unified_cgroup_path("12:cpu:/old\n0::/a/b\n"), "/a/b");
  EXPECT_EQ(unified_cgroup_path("12:cpu:/old\n"), "");
}

TEST(VmStatsValues, CpuPercentIsOfOneCoreRoundedToATenth) {
  EXPECT_DOUBLE_EQ(cpu_percent(1s, 2s), 50.0);
  EXPECT_DOUBLE_EQ(cpu_percent(3s, 2s), 150.0);  // two busy vCPU threads
  EXPECT_DOUBLE_EQ(cpu_percent(1234us, 2s), 0.1);
  EXPECT_DOUBLE_EQ(cpu_percent(20us, 2s), 0.0);  // idle noise
  EXPECT_DOUBLE_EQ(cpu_percent(-1s, 2s), 0.0);
  EXPECT_DOUBLE_EQ(cpu_percent(1s, 0s), 0.0);
}

TEST(VmStatsValues, ChangesNameTheDifferingProperties) {
  VmStats a;
  a.uptime_s = 10;
  VmStats b = a;
  EXPECT_TRUE(stats_changes(a, b).empty());
  b.memory_rss_bytes = 1;
  b.net_tx_bytes = 2;
  EXPECT_EQ(stats_changes(a, b), (std::vector<std::string>{"MemoryRSSBytes", "NetTxBytes"}));
  b.cpu_percent = 0.1;
  b.block_read_bytes = 1;
  b.block_write_bytes = 1;
  b.net_rx_bytes = 1;
  EXPECT_EQ(stats_changes(a, b).size(), 6u);
}

TEST(VmStatsValues, UptimeAloneIsNoChangeExceptOnStartAndStop) {
  VmStats a;
  a.uptime_s = 10;
  VmStats b = a;
  b.uptime_s = 12;
  EXPECT_TRUE(stats_changes(a, b).empty());
  b.cpu_percent = 3;
  EXPECT_EQ(stats_changes(a, b), (std::vector<std::string>{"CPUPercent", "Uptime"}));
  EXPECT_EQ(stats_changes(VmStats{}, a), (std::vector<std::string>{"Uptime"}));
  EXPECT_EQ(stats_changes(a, VmStats{}), (std::vector<std::string>{"Uptime"}));
}

}  // namespace
}  // namespace banger::stats
