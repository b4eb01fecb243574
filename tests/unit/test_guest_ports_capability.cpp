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

TEST(GuestPortsCapability, AVmWithoutAddressIsNeverPolled) {
  testing::FixedAttachments attachments;  // no network: the test daemon's and the benchmark's fake VMs
  PolledVms polled;
  GuestPorts capability(attachments, polled.poller());
  capability.post_start(vm("a", VmState::starting));
  capability.watch_running({vm("b", VmState::running)});
  EXPECT_EQ(polled.made(1), std::multiset<std::string>{});
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
