// Live stats of a real guest: the real bangerd (QEMU backend, the default
// image, taps and SSH) in a network namespace of this suite's own, as in
// bus-guest-network, sampling stats at the default interval (2 s). The guest
// burns CPU over SSH with the daemon's key and is pinged from the namespace.
#include <algorithm>
#include <string>

#include "bangerd_netns.h"
#include "default_image.h"
#include "guest_shell.h"
#include "test_support.h"

namespace banger::test {
namespace {

class GuestStats : public RealGuestTest {
 protected:
  static void SetUpTestSuite() {
    if (!enter_namespace({.programs = {"ssh", "ping"}, .devices = {"/dev/net/tun"}})) return;
    ClientTest::SetUpTestSuite();
  }

  // The suite's one guest, booted on first use and shared by the tests after it.
  void boot() {
    if (!guest_.empty()) return;
    ASSERT_TRUE(boot_failure_.empty()) << "booting the guest failed before: " << boot_failure_;
    boot_failure_ = "see the first test that booted it";
    auto image = build_and_import_default_image(env());
    ASSERT_TRUE(image.ok()) << "the default image could not be built or imported:\n" << image.describe();
    const auto path = client_->create_ready(*recorder_, "stats", {{"memory", sdbus::Variant(256u)}});
    call(path, "Start");
    ASSERT_TRUE(client_->wait_state(*recorder_, path, "running", 60s)) << client_->vm_string(path, "LastError");
    guest_ = path;
    boot_failure_.clear();
  }
  InGuest shell() {
    return ssh_ready(ssh_into(*netns_, daemon_ssh_key(env()), client_->vm_string(guest_, "IPv4Address")),
                     [this] { return console_of(*client_, guest_, "stats"); });
  }
  // The first PropertiesChanged of the guest after `since` (a recorder generation
  // count of signals) whose `property` satisfies `ok`.
  std::optional<double> signalled(const std::string& property, std::size_t since,
                                  const std::function<bool(double)>& ok, std::chrono::seconds timeout) {
    std::optional<double> value;
    recorder_->wait_for(
        [&, seen = std::size_t{0}](const Signal& s) mutable {
          if (s.member != "PropertiesChanged" || s.path != guest_) return false;
          if (seen++ < since) return false;
          auto it = s.properties.find(property);
          if (it == s.properties.end()) return false;
          const double v = std::holds_alternative<double>(it->second)
                               ? std::get<double>(it->second)
                               : static_cast<double>(std::get<std::uint64_t>(it->second));
          if (!ok(v)) return false;
          value = v;
          return true;
        },
        timeout);
    return value;
  }
  std::size_t changes_so_far() {
    return recorder_->matching([&](const Signal& s) { return s.member == "PropertiesChanged" && s.path == guest_; })
        .size();
  }

  static inline std::string guest_, boot_failure_;
};

TEST_F(GuestStats, ARunningGuestHasMemoryAndUptime) {
  ASSERT_NO_FATAL_FAILURE(boot());
  ASSERT_TRUE(signalled("MemoryRSSBytes", 0, [](double v) { return v > 0; }, 30s)) << "no MemoryRSSBytes signalled";
  EXPECT_GT(client_->vm_number(guest_, "MemoryRSSBytes"), 16u << 20) << "QEMU with a 256 MiB guest";
  EXPECT_GT(client_->vm_number(guest_, "Uptime"), 0u);
}

TEST_F(GuestStats, CpuPercentRisesWhileTheGuestBurnsCpu) {
  ASSERT_NO_FATAL_FAILURE(boot());
  auto in_guest = shell();
  std::this_thread::sleep_for(5s);  // settle after boot and login
  const double idle = std::get<double>(client_->property(guest_, kVm, "CPUPercent"));
  const auto since = changes_so_far();
  ASSERT_EQ(in_guest("sh -c \"while :; do :; done\" </dev/null >/dev/null 2>&1 & echo $! > /tmp/burner").status, 0);
  const auto busy = signalled("CPUPercent", since, [idle](double v) { return v >= idle + 10; }, 40s);
  in_guest("kill $(cat /tmp/burner)");
  ASSERT_TRUE(busy) << "CPUPercent never rose 10 points above " << idle << " (now "
                    << to_string(client_->property(guest_, kVm, "CPUPercent")) << ")";
  EXPECT_GT(*busy, idle);
}

TEST_F(GuestStats, NetCountersMoveAfterAPing) {
  ASSERT_NO_FATAL_FAILURE(boot());
  const auto address = client_->vm_string(guest_, "IPv4Address");
  ASSERT_TRUE(poll_until([&] { return netns_->exec("ping -c1 -W2 " + address).status == 0; }, 60s));
  std::this_thread::sleep_for(3s);  // a round after that first ping
  const auto rx = client_->vm_number(guest_, "NetRxBytes");
  const auto tx = client_->vm_number(guest_, "NetTxBytes");
  const auto since = changes_so_far();
  EXPECT_EQ(netns_->exec("ping -c5 -i0.2 -s1000 " + address).status, 0);
  const auto moved = signalled("NetRxBytes", since, [rx](double v) { return v >= rx + 5000; }, 15s);
  ASSERT_TRUE(moved) << "NetRxBytes stayed at " << client_->vm_number(guest_, "NetRxBytes") << " (was " << rx << ")";
  EXPECT_GE(client_->vm_number(guest_, "NetTxBytes"), tx + 5000) << "the guest's replies";
}

TEST_F(GuestStats, StatsGoToZeroWhenTheGuestStops) {
  ASSERT_NO_FATAL_FAILURE(boot());
  call(guest_, "Stop");
  ASSERT_TRUE(client_->wait_state(*recorder_, guest_, "stopped", 60s));
  for (const std::string name : {"MemoryRSSBytes", "NetRxBytes", "Uptime"}) EXPECT_EQ(client_->vm_number(guest_, name), 0u) << name;
  EXPECT_EQ(std::get<double>(client_->property(guest_, kVm, "CPUPercent")), 0.0);
}

}  // namespace
}  // namespace banger::test
