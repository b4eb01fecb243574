// A real guest's clock over a host sleep (issue 16): the real bangerd (QEMU
// backend, the default image, taps and SSH) in a network namespace of this
// suite's own, with stand-ins of logind and machined on the private bus
// (tests/bus/fake_host_services.h). PrepareForSleep(true) pauses the VMM
// (QMP stop: the guest's clock stands still), a few seconds pass,
// PrepareForSleep(false) resumes it and bangerd sets the guest's clock: it
// must be within 2 s of the host's again.
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "bangerd_netns.h"
#include "default_image.h"
#include "fake_host_services.h"
#include "guest_shell.h"
#include "test_support.h"

namespace banger::test {
namespace {

using Clock = std::chrono::system_clock;

class GuestClock : public RealGuestTest {
 protected:
  static void SetUpTestSuite() {
    if (!enter_namespace({.programs = {"ssh"}, .devices = {"/dev/net/tun"}})) return;
    ClientTest::SetUpTestSuite();
  }
  static void TearDownTestSuite() {
    fakes_.reset();
    RealGuestTest::TearDownTestSuite();
  }
  void SetUp() override {
    RealGuestTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (!fakes_) fakes_ = std::make_unique<FakeHostServices>(env().address());
  }

  // The guest's clock minus the host's, in seconds (the SSH round trip counts against the guest).
  static std::optional<long> skew(const InGuest& in_guest) {
    const auto r = in_guest("date +%s");
    const long host = std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
    if (r.status != 0) return std::nullopt;
    try {
      return std::stol(r.out) - host;
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }

  static inline std::unique_ptr<FakeHostServices> fakes_;
};

TEST_F(GuestClock, IsTheHostsAgainAfterASleep) {
  auto image = build_and_import_default_image(env());
  ASSERT_TRUE(image.ok()) << "the default image could not be built or imported:\n" << image.describe();
  const auto path = client_->create_ready(*recorder_, "sleeper", {{"memory", sdbus::Variant(256u)}});
  call(path, "Start");
  ASSERT_TRUE(client_->wait_state(*recorder_, path, "running", 300s)) << client_->vm_string(path, "LastError");
  const auto in_guest = ssh_ready(ssh_into(*netns_, daemon_ssh_key(env()), client_->vm_string(path, "IPv4Address")),
                                  [&] { return console_of(*client_, path, "sleeper"); });
  const auto before = skew(in_guest);
  ASSERT_TRUE(before) << in_guest("date +%s").out;
  EXPECT_LE(std::labs(*before), 2) << "the guest starts with the host's time";
  ASSERT_TRUE(poll_until([] { return fakes_->held_locks().size() == 1; }, 10s));

  fakes_->emit_prepare_for_sleep(true);
  ASSERT_TRUE(poll_until([] { return fakes_->held_locks().empty(); }, 10s)) << "paused, then let go";
  // The guest is paused: its clock stands still while the host "sleeps".
  std::this_thread::sleep_for(6s);
  fakes_->emit_prepare_for_sleep(false);
  ASSERT_TRUE(poll_until([] { return fakes_->held_locks().size() == 1; }, 10s)) << "resumed, lock taken again";

  std::optional<long> after;
  EXPECT_TRUE(poll_until(
      [&] {
        after = skew(in_guest);
        return after && std::labs(*after) <= 2;
      },
      30s))
      << "guest clock off by " << (after ? std::to_string(*after) : "?") << " s\n"
      << env().logs();
  call(path, "Kill");
}

}  // namespace
}  // namespace banger::test
