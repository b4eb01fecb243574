// The guest-ports capability (capabilities/guest_ports.h): which VMs it has
// the poller poll, from when until when, and the [ports] setting.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "capabilities/guest_ports.h"
#include "config.h"
#include "ssh_fixtures.h"

namespace banger {
namespace {

using namespace std::chrono_literals;

struct SilentGuest final : GuestPortProbe {
  std::vector<GuestPort> list_ports() override { throw Error(ErrorKind::backend_failed, "no answer"); }
};

// A poller whose probes only note which VMs are polled, at which address.
class PolledVms {
 public:
  PolledVms()
      : poller_(1h, [this](const std::string& id, const std::string& address) -> std::unique_ptr<GuestPortProbe> {
          std::lock_guard lock(mutex_);
          made_.insert(id + "@" + address);
          return std::make_unique<SilentGuest>();
        }) {}
  GuestPortPoller& poller() { return poller_; }
  // The probes made so far, once `count` were made (or after a second).
  std::multiset<std::string> made(std::size_t count) {
    for (auto deadline = std::chrono::steady_clock::now() + 1s; std::chrono::steady_clock::now() < deadline;) {
      {
        std::lock_guard lock(mutex_);
        if (made_.size() >= count) break;
      }
      std::this_thread::sleep_for(5ms);
    }
    std::lock_guard lock(mutex_);
    return made_;
  }

 private:
  std::mutex mutex_;
  std::multiset<std::string> made_;
  GuestPortPoller poller_;
};

VmRecord vm(const std::string& id, VmState state) {
  VmRecord r;
  r.id = id;
  r.name = "vm-" + id;
  r.state = state;
  r.network = "default";
  return r;
}

TEST(GuestPortsCapability, PollsAStartedVmOnItsAddressUntilCleanup) {
  testing::FixedAttachments attachments;
  attachments.attachment = testing::attached_at("10.219.0.7");
  PolledVms polled;
  GuestPorts capability(attachments, polled.poller());
  capability.post_start(vm("a", VmState::starting));
  EXPECT_EQ(polled.made(1), (std::multiset<std::string>{"a@10.219.0.7"}));
  capability.cleanup(vm("a", VmState::stopping), CleanupReason::stopped);
  capability.cleanup(vm("a", VmState::stopped), CleanupReason::deleted);  // idempotent
  // Polled again after a restart: a new probe, so the old watch ended.
  capability.post_start(vm("a", VmState::starting));
  capability.post_start(vm("b", VmState::starting));
  EXPECT_EQ(polled.made(3), (std::multiset<std::string>{"a@10.219.0.7", "a@10.219.0.7", "b@10.219.0.7"}));
}

// A guest listening on one port, and what the poller told its observers.
struct ListeningGuest final : GuestPortProbe {
  std::vector<GuestPort> list_ports() override { return {{"tcp", 8080, "web"}}; }
};
struct SeenLists final : GuestPortsObserver {
  std::mutex mutex;
  std::vector<std::size_t> sizes;
  void guest_ports_changed(const std::string&, const std::vector<GuestPort>& ports) override {
    std::lock_guard lock(mutex);
    sizes.push_back(ports.size());
  }
  std::vector<std::size_t> seen() {
    std::lock_guard lock(mutex);
    return sizes;
  }
};

TEST(GuestPortsCapability, ASuspendKeepsTheGuestsListAStopEmptiesIt) {
  testing::FixedAttachments attachments;
  attachments.attachment = testing::attached_at("10.219.0.7");
  GuestPortPoller poller(1h, [](const std::string&, const std::string&) -> std::unique_ptr<GuestPortProbe> {
    return std::make_unique<ListeningGuest>();
  });
  SeenLists seen;
  poller.add_observer(seen);
  GuestPorts capability(attachments, poller);
  auto listed = [&](std::size_t times) {
    for (auto deadline = std::chrono::steady_clock::now() + 1s; std::chrono::steady_clock::now() < deadline;
         std::this_thread::sleep_for(5ms))
      if (seen.seen().size() >= times) return true;
    return false;
  };
  capability.post_start(vm("a", VmState::starting));
  ASSERT_TRUE(listed(1));
  capability.cleanup(vm("a", VmState::running), CleanupReason::suspended);
  EXPECT_EQ(seen.seen(), (std::vector<std::size_t>{1})) << "suspended: the list (and its forwards) stays";
  capability.post_start(vm("a", VmState::starting));  // the restore polls it again
  ASSERT_TRUE(listed(2));
  capability.cleanup(vm("a", VmState::stopping), CleanupReason::stopped);
  EXPECT_EQ(seen.seen(), (std::vector<std::size_t>{1, 1, 0})) << "stopped: emptied";
}

TEST(GuestPortsCapability, AVmWithoutAddressIsNeverPolled) {
  testing::FixedAttachments attachments;  // no network: the test daemon's and the benchmark's fake VMs
  PolledVms polled;
  GuestPorts capability(attachments, polled.poller());
  capability.post_start(vm("a", VmState::starting));
  capability.watch_running({vm("b", VmState::running)});
  EXPECT_EQ(polled.made(1), std::multiset<std::string>{});
}

// Issue 19: a poll is SSH traffic and guest CPU every interval, which would keep a VM with
// idle sleep awake for ever: such a VM is not polled, from its start or from a Set on.
TEST(GuestPortsCapability, AVmWithIdleSleepIsNotPolled) {
  testing::FixedAttachments attachments;
  attachments.attachment = testing::attached_at("10.219.0.7");
  PolledVms polled;
  GuestPorts capability(attachments, polled.poller());
  auto sleepy = vm("a", VmState::starting);
  sleepy.idle_suspend_s = 60;
  capability.post_start(sleepy);
  auto running = vm("b", VmState::running);
  capability.post_start(running);
  ASSERT_EQ(polled.made(1), (std::multiset<std::string>{"b@10.219.0.7"}));
  auto set_on = running;
  set_on.idle_suspend_s = 60;
  capability.apply_config_change(running, set_on);  // b's watch ends
  capability.apply_config_change(set_on, running);  // and starts again: a new probe
  EXPECT_EQ(polled.made(2), (std::multiset<std::string>{"b@10.219.0.7", "b@10.219.0.7"}));
}

TEST(GuestPortsCapability, AtStartUpOnlyRunningVmsArePolled) {
  testing::FixedAttachments attachments;
  attachments.attachment = testing::attached_at("10.219.0.7");
  PolledVms polled;
  GuestPorts capability(attachments, polled.poller());
  capability.watch_running({vm("run", VmState::running), vm("stopped", VmState::stopped),
                            vm("failed", VmState::failed), vm("created", VmState::created)});
  EXPECT_EQ(polled.made(2), (std::multiset<std::string>{"run@10.219.0.7"}));
}

TEST(GuestPortsConfig, IntervalDefaultsToTwoSecondsZeroTurnsItOff) {
  EXPECT_EQ(default_config().ports_interval, 2s);
  EXPECT_EQ(parse_config("[ports]\ninterval_s = 0\n").ports_interval, 0s);
  EXPECT_EQ(parse_config("[ports]\ninterval_s = 3600\n").ports_interval, 3600s);
  EXPECT_THROW(parse_config("[ports]\ninterval_s = 3601\n"), ConfigError);
  EXPECT_THROW(parse_config("[ports]\ninterval_s = -1\n"), ConfigError);
  EXPECT_THROW(parse_config("[ports]\ninterval = 2\n"), ConfigError);
}

}  // namespace
}  // namespace banger
