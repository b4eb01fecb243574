// The stats properties of VMs of the stand-in VMM (a real process per running
// VM), sampled every second (tests/bus/data/bangerd-stats.toml).
#include "test_support.h"

namespace banger::test {
namespace {

const std::vector<std::string> kStatsProperties{"CPUPercent",  "MemoryRSSBytes", "BlockReadBytes", "BlockWriteBytes",
                                                "NetRxBytes",  "NetTxBytes",     "Uptime"};

class StatsTest : public ClientTest {
 protected:
  RunResult ctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv{env().bangerctl(), "--no-progress"};
    argv.insert(argv.end(), args.begin(), args.end());
    return env().run_as("", argv, 60s);
  }

  void expect_all_zero(const std::string& vm) {
    for (const auto& name : kStatsProperties) {
      SCOPED_TRACE(name);
      const auto value = client_->property(vm, kVm, name);
      if (name == "CPUPercent")
        EXPECT_EQ(std::get<double>(value), 0.0);
      else
        EXPECT_EQ(std::get<std::uint64_t>(value), 0u);
    }
  }

  // The first PropertiesChanged of `vm` naming `property` with a value above zero.
  std::optional<Signal> changed_above_zero(const std::string& vm, const std::string& property) {
    return recorder_->wait_for(
        [&](const Signal& s) {
          if (s.member != "PropertiesChanged" || s.path != vm) return false;
          auto it = s.properties.find(property);
          return it != s.properties.end() && std::holds_alternative<std::uint64_t>(it->second) &&
                 std::get<std::uint64_t>(it->second) > 0;
        },
        15s);
  }
};

TEST_F(StatsTest, AVmThatNeverRanHasZeroStats) {
  const std::string vm = client_->create_ready(*recorder_, "idle");
  expect_all_zero(vm);
}

TEST_F(StatsTest, ARunningVmsFiguresAreSignalledAndGoToZeroWhenItStops) {
  const std::string vm = running_vm("busy");
  const auto memory = changed_above_zero(vm, "MemoryRSSBytes");
  ASSERT_TRUE(memory) << "no MemoryRSSBytes change signalled";
  // Uptime is signalled when it leaves zero (the VMM's first second) and then only with other changes.
  ASSERT_TRUE(changed_above_zero(vm, "Uptime")) << "no Uptime change signalled";
  EXPECT_GT(client_->vm_number(vm, "MemoryRSSBytes"), 0u);
  const auto uptime = client_->vm_number(vm, "Uptime");
  EXPECT_GE(uptime, 1u);
  std::this_thread::sleep_for(2s);
  EXPECT_GE(client_->vm_number(vm, "Uptime"), uptime + 1) << "Get Uptime counts on between signals";

  client_->stop(vm, true);
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "stopped"));
  const auto zeroed = recorder_->wait_for(
      [&](const Signal& s) {
        auto it = s.properties.find("MemoryRSSBytes");
        return s.member == "PropertiesChanged" && s.path == vm && it != s.properties.end() &&
               std::get<std::uint64_t>(it->second) == 0;
      },
      10s);
  ASSERT_TRUE(zeroed) << "no return to zero signalled";
  EXPECT_TRUE(zeroed->properties.contains("Uptime"));
  expect_all_zero(vm);
}

TEST_F(StatsTest, AnIdleVmSignalsNoUptimeAlone) {
  const std::string vm = running_vm("quiet");
  ASSERT_TRUE(changed_above_zero(vm, "Uptime"));
  std::this_thread::sleep_for(3500ms);  // three more rounds
  const auto signals =
      recorder_->matching([&](const Signal& s) { return s.member == "PropertiesChanged" && s.path == vm; });
  bool after_start = false;  // the signal of Uptime leaving zero names it alone, rightly
  for (const auto& s : signals) {
    if (after_start && s.properties.size() == 1) {
      EXPECT_FALSE(s.properties.contains("Uptime")) << "Uptime alone";
    }
    if (s.properties.contains("Uptime")) after_start = true;
  }
  client_->stop(vm, true);
}

TEST_F(StatsTest, UptimeSurvivesADaemonRestart) {
  const std::string vm = running_vm("lasting");
  ASSERT_TRUE(changed_above_zero(vm, "Uptime"));
  std::this_thread::sleep_for(2s);
  const auto before = client_->vm_number(vm, "Uptime");
  env().restart_daemon();
  client_ = std::make_unique<BusClient>(env().address());
  std::this_thread::sleep_for(2500ms);  // the restarted daemon's first rounds
  EXPECT_GE(client_->vm_number(vm, "Uptime"), before) << "taken from the VMM's start, not the daemon's";
  EXPECT_GT(client_->vm_number(vm, "MemoryRSSBytes"), 0u);
  client_->stop(vm, true);
}

TEST_F(StatsTest, BangerctlStatsShowsEveryVm) {
  const std::string vm = running_vm("shown");
  client_->create_ready(*recorder_, "resting");
  ASSERT_TRUE(changed_above_zero(vm, "MemoryRSSBytes"));
  const auto json = json_of(ctl({"stats", "--json"}));
  ASSERT_TRUE(json.is_array()) << json;
  // The suite's daemon keeps the VMs of earlier tests: find these two by name.
  auto named = [&json](const std::string& name) {
    for (const auto& vm : json)
      if (vm["name"] == name) return vm;
    return nlohmann::json();
  };
  EXPECT_EQ(named("resting")["memory_rss_bytes"], 0) << json;
  EXPECT_EQ(named("resting")["state"], "created") << json;
  ASSERT_TRUE(named("shown").is_object()) << json;
  EXPECT_GT(named("shown")["memory_rss_bytes"].get<std::uint64_t>(), 0u) << json;

  const auto one = json_of(ctl({"stats", "shown", "--json"}));
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0]["state"], "running");

  const auto table = ctl({"stats"});
  ASSERT_EQ(table.exit_code, 0) << table.describe();
  EXPECT_NE(table.out.find("NAME"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("MiB"), std::string::npos) << table.out;  // the shell's RSS
  EXPECT_EQ(ctl({"stats", "nosuchvm"}).exit_code, 3);
  client_->stop(vm, true);
}

TEST_F(StatsTest, BangerctlTopRedrawsOnChanges) {
  const std::string vm = running_vm("watched");
  ASSERT_TRUE(changed_above_zero(vm, "Uptime"));
  // Without a terminal each screen follows the last; a running VM's Uptime redraws at least every second.
  const auto top = ctl({"top", "-n", "3"});
  ASSERT_EQ(top.exit_code, 0) << top.describe();
  std::size_t screens = 0;
  for (auto at = top.out.find("bangerctl top"); at != std::string::npos; at = top.out.find("bangerctl top", at + 1))
    ++screens;
  EXPECT_EQ(screens, 3u) << top.out;
  EXPECT_NE(top.out.find("watched"), std::string::npos) << top.out;
  EXPECT_NE(top.out.find(" running"), std::string::npos) << top.out;
  client_->stop(vm, true);
}

}  // namespace
}  // namespace banger::test
