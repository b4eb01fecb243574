// Crash consistency: the real bangerd is killed (SIGKILL) at every named fault
// point (service/core/fault_points.h) and at random moments inside create,
// start, stop, delete, clone, workspace push, network creation, suspend and
// restore (Start of a suspended VM), started
// again without faults, and the invariants of invariants.h are checked. A VM
// that runs throughout ("bystander") must be adopted after every restart.
#include <sys/wait.h>

#include <cstdlib>
#include <iostream>
#include <atomic>
#include <memory>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "bangerd_netns.h"
#include "core/fault_points.h"
#include "crash_rig.h"
#include "housekeeping.h"
#include "test_support.h"

namespace banger::test {
namespace {

using Clock = std::chrono::steady_clock;

// What reaches a point, by the operation its name starts with.
struct Scenario {
  std::function<void(CrashRig&)> setup;    // on a daemon without faults
  std::function<void(CrashRig&)> operate;  // with the fault armed; may never return an answer
  std::function<bool(CrashRig&)> done;     // the operation ended without hitting the point
};

Scenario scenario_for(std::string_view point) {
  auto created = [](CrashRig& rig) {
    rig.create("victim");
    if (!rig.wait_state("victim", "created")) throw std::runtime_error("setup: victim was not created");
  };
  auto running = [created](CrashRig& rig) {
    created(rig);
    rig.start("victim");
    if (!rig.wait_state("victim", "running")) throw std::runtime_error("setup: victim did not start");
  };
  auto suspended = [running](CrashRig& rig) {
    running(rig);
    rig.suspend("victim");
    if (!rig.wait_state("victim", "suspended")) throw std::runtime_error("setup: victim was not suspended");
  };
  // A running VM with a memory checkpoint "cp", waited for.
  auto checkpointed = [running](CrashRig& rig) {
    running(rig);
    rig.snapshot("victim", "cp");
    for (int i = 0; i < 100 && rig.snapshot_path("victim", "cp").empty(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (rig.snapshot_path("victim", "cp").empty()) throw std::runtime_error("setup: no checkpoint of victim");
  };
  auto none = [](CrashRig&) {};
  auto op = [](std::string_view p) { return p.substr(0, p.find('.')); };
  // Named checkpoints: taking one, deleting one, restoring one (not a suspended VM's restore).
  if (point == "snapshot.row-deleted")
    return {checkpointed, [](CrashRig& r) { r.delete_snapshot("victim", "cp"); },
            [](CrashRig& r) { return r.snapshot_path("victim", "cp").empty(); }};
  if (op(point) == "snapshot")
    return {running, [](CrashRig& r) { r.snapshot("victim", "cp"); },
            [](CrashRig& r) { return !r.snapshot_path("victim", "cp").empty(); }};
  if (point == "restore.vm-stopped" || point == "restore.disks-copied" || point == "restore.state-installed") {
    auto answered = std::make_shared<std::atomic<bool>>(false);
    return {checkpointed,
            [answered](CrashRig& r) {
              r.restore_snapshot("victim", "cp");
              *answered = true;
            },
            [answered](CrashRig&) { return answered->load(); }};
  }
  if (op(point) == "checkpoint-clone")
    return {checkpointed, [](CrashRig& r) { r.clone_snapshot("victim", "cp", "copy"); },
            [](CrashRig& r) { return r.state("copy") == "created"; }};
  if (op(point) == "create")
    return {none, [](CrashRig& r) { r.create("victim"); }, [](CrashRig& r) { return r.state("victim") == "created"; }};
  if (op(point) == "start")
    return {created, [](CrashRig& r) { r.start("victim"); }, [](CrashRig& r) { return r.state("victim") == "running"; }};
  if (op(point) == "stop" || op(point) == "cleanup")
    return {running, [](CrashRig& r) { r.stop("victim"); }, [](CrashRig& r) { return r.state("victim") == "stopped"; }};
  if (op(point) == "suspend")
    return {running, [](CrashRig& r) { r.suspend("victim"); },
            [](CrashRig& r) { return r.state("victim") == "suspended"; }};
  if (op(point) == "restore")
    return {suspended, [](CrashRig& r) { r.start("victim"); }, [](CrashRig& r) { return r.state("victim") == "running"; }};
  if (op(point) == "delete")
    return {created, [](CrashRig& r) { r.remove("victim"); }, [](CrashRig& r) { return r.state("victim").empty(); }};
  if (op(point) == "clone")
    return {created, [](CrashRig& r) { r.clone("victim", "copy"); },
            [](CrashRig& r) { return r.state("copy") == "created"; }};
  if (op(point) == "workspace")
    return {created, [](CrashRig& r) { r.push_workspace("victim"); }, [](CrashRig&) { return false; }};
  if (op(point) == "network")
    return {none, [](CrashRig& r) { r.create_network("lab", "10.77.3.0/24"); },
            [](CrashRig& r) { return r.network_exists("lab"); }};
  throw std::logic_error("no scenario reaches fault point " + std::string(point));
}

// Points hit once per capability: "@N" walks them until the operation ends untouched.
bool per_capability(std::string_view point) { return point.find("capability") != std::string_view::npos; }

class CrashConsistency : public BusTest {
 protected:
  static void SetUpTestSuite() {
    netns_ = bangerd_netns({.programs = {"nft", "dnsmasq", "sqlite3", "dropbear", "dropbearkey", "unshare", "losetup"},
                            .devices = {"/dev/net/tun"}},
                           netns_skip_);
    if (!netns_) return;
    BusTest::SetUpTestSuite();
  }
  static void TearDownTestSuite() {
    rig_.reset();
    BusTest::TearDownTestSuite();
    netns_.reset();
    std::cout << fmt::format("fault points: {}, runs: {}, invariant checks: {}\n", points_hit_.size(), runs_, checks_);
  }
  void SetUp() override {
    if (!netns_skip_.empty()) GTEST_SKIP() << netns_skip_;
    if (std::getenv("FAKE_FIRECRACKER") == nullptr) GTEST_SKIP() << "FAKE_FIRECRACKER is not set (run through meson test)";
    BusTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (!rig_) {
      rig_ = std::make_unique<CrashRig>(env(), *netns_);
      rig_->prepare();
      rig_->create("bystander");
      ASSERT_TRUE(rig_->wait_state("bystander", "created")) << env().logs();
      rig_->start("bystander");
      ASSERT_TRUE(rig_->wait_state("bystander", "running")) << env().logs();
      bystander_pid_ = check("baseline").vmm_pids.begin()->second;
    }
  }

  // The invariants, and the bystander still running on the same VMM.
  InvariantReport check(const std::string& run) {
    auto report = check_invariants(rig_->site());
    checks_ += report.checks;
    EXPECT_TRUE(report.violations.empty()) << run << ": " << report.describe() << "\n" << env().logs();
    bool adopted = false;
    for (const auto& [id, vm] : report.vms)
      if (vm.name == "bystander")
        adopted = vm.state == "running" && (bystander_pid_ == 0 || report.vmm_pids[id] == bystander_pid_);
    ++checks_;
    EXPECT_TRUE(adopted) << run << ": the bystander VM was not adopted\n" << report.describe();
    return report;
  }

  // Back to the baseline on a daemon without faults: only the bystander, only the default network.
  void settle(const std::string& run) {
    ++runs_;
    check(run);
    try {
      rig_->reset({"bystander"});
    } catch (const sdbus::Error& e) {
      ADD_FAILURE() << run << ": after recovery the leftovers cannot be removed: " << e.getMessage() << "\n"
                    << env().logs();
    }
  }

  // Kills at `spec` ("name" or "name@N"); false when the operation ended without reaching it.
  bool run_point(std::string_view point, const std::string& spec) {
    const auto scenario = scenario_for(point);
    scenario.setup(*rig_);
    env().set_daemon_env({{"BANGER_FAULT_KILL_AT", spec}});
    env().restart_daemon();
    rig_->in_background([&rig = *rig_, operate = scenario.operate] { operate(rig); });
    std::optional<int> died;
    const auto deadline = Clock::now() + 40s;
    while (!(died = env().wait_daemon_exit(100ms)) && Clock::now() < deadline)
      if (scenario.done(*rig_)) {
        died = env().wait_daemon_exit(500ms);
        break;
      }
    rig_->join_background();
    env().set_daemon_env({});
    if (!died) {
      env().restart_daemon();
      settle(spec + " (not reached)");
      return false;
    }
    EXPECT_TRUE(WIFSIGNALED(*died) && WTERMSIG(*died) == SIGKILL) << spec << ": bangerd ended with status " << *died;
    EXPECT_NE(read_file(env().dir() / "bangerd.log").find(fmt::format("fault point {} hit", point)), std::string::npos)
        << spec;
    points_hit_.insert(std::string(point));
    env().start_daemon();
    settle(spec);
    return true;
  }

  static inline std::unique_ptr<ScopedNetns> netns_;
  static inline std::string netns_skip_;
  static inline std::unique_ptr<CrashRig> rig_;
  static inline pid_t bystander_pid_ = 0;
  static inline std::set<std::string> points_hit_;
  static inline int runs_ = 0;
  static inline long checks_ = 0;
};

TEST_F(CrashConsistency, EveryFaultPointLeavesAWholeDaemon) {
  for (auto point : fault::points) {
    if (!per_capability(point)) {
      EXPECT_TRUE(run_point(point, std::string(point))) << point << " was not reached by its scenario\n" << env().logs();
      continue;
    }
    int reached = 0;
    for (int n = 1; n <= 32 && run_point(point, fmt::format("{}@{}", point, n)); ++n) ++reached;
    EXPECT_GT(reached, 0) << point << " was not reached by its scenario";
    std::cout << fmt::format("{}: {} hits\n", point, reached);
  }
}

TEST_F(CrashConsistency, RandomKillsLeaveAWholeDaemon) {
  const char* seed_text = std::getenv("BANGER_CRASH_SEED");
  const auto seed = seed_text ? std::strtoull(seed_text, nullptr, 10) : std::random_device{}();
  const char* runs_text = std::getenv("BANGER_CRASH_RANDOM_RUNS");
  const int runs = runs_text ? std::atoi(runs_text) : 20;
  std::cout << "random kills: seed " << seed << " (BANGER_CRASH_SEED), " << runs << " runs\n";
  std::mt19937_64 random(seed);
  const std::vector<std::string> operations{"create",  "start",   "stop",     "delete",          "clone",
                                            "workspace", "network", "suspend", "restore", "snapshot",
                                            "checkpoint-clone"};
  for (int i = 0; i < runs; ++i) {
    const auto& operation = operations[random() % operations.size()];
    const auto delay = std::chrono::milliseconds(random() % 301);
    const auto run = fmt::format("random run {} ({} killed after {} ms, seed {})", i, operation, delay.count(), seed);
    const auto scenario = scenario_for(operation + ".");
    scenario.setup(*rig_);
    rig_->in_background([&rig = *rig_, operate = scenario.operate] { operate(rig); });
    std::this_thread::sleep_for(delay);
    env().kill_daemon();
    rig_->join_background();
    env().start_daemon();
    settle(run);
    if (HasFailure()) break;  // the seed above reproduces it
  }
}

}  // namespace
}  // namespace banger::test
