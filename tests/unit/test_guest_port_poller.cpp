// The port poller (ports/guest_port_poller.h) with stand-in guests: what
// observers hear and when, failures, unwatching and stopping.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/errors.h"
#include "ports/guest_port_poller.h"

namespace banger {
namespace {

using namespace std::chrono_literals;

constexpr auto kInterval = 5ms;
constexpr auto kPatience = 10s;

// A guest whose answer the test sets; it counts the probes and can hold one.
struct FakeGuest {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<GuestPort> ports;
  bool failing = false;
  bool holding = false;  // the next probe blocks until released
  int calls = 0;
  std::vector<std::chrono::steady_clock::time_point> started;  // when each probe began

  std::vector<GuestPort> answer() {
    std::unique_lock lock(mutex);
    ++calls;
    started.push_back(std::chrono::steady_clock::now());
    changed.notify_all();
    changed.wait_for(lock, kPatience, [this] { return !holding; });  // bounded: a failed test must still end
    if (failing) throw Error(ErrorKind::backend_failed, "the guest does not answer");
    return ports;
  }
  void set(std::vector<GuestPort> p, bool fail = false) {
    std::lock_guard lock(mutex);
    ports = std::move(p);
    failing = fail;
  }
  void hold(bool on) {
    std::lock_guard lock(mutex);
    holding = on;
    changed.notify_all();
  }
  // Waits until `n` more probes than now have started: every round before the
  // last of them has told its observers.
  bool wait_calls(int total) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, kPatience, [&] { return calls >= total; });
  }
  bool wait_rounds(int n, std::chrono::milliseconds patience = kPatience) {
    std::unique_lock lock(mutex);
    const int target = calls + n;
    return changed.wait_for(lock, patience, [&] { return calls >= target; });
  }
};

struct FakeProbe final : GuestPortProbe {
  FakeGuest& guest;
  explicit FakeProbe(FakeGuest& g) : guest(g) {}
  std::vector<GuestPort> list_ports() override { return guest.answer(); }
};

struct Recorder final : GuestPortsObserver {
  std::mutex mutex;
  std::vector<std::pair<std::string, std::vector<GuestPort>>> heard;
  void guest_ports_changed(const std::string& vm_id, const std::vector<GuestPort>& ports) override {
    std::lock_guard lock(mutex);
    heard.emplace_back(vm_id, ports);
  }
  std::vector<std::pair<std::string, std::vector<GuestPort>>> calls() {
    std::lock_guard lock(mutex);
    return heard;
  }
};

const std::vector<GuestPort> kSsh{{"tcp", 22, "dropbear"}};
const std::vector<GuestPort> kSshAndWeb{{"tcp", 22, "dropbear"}, {"tcp", 8080, "httpd"}};

class PollerTest : public ::testing::Test {
 protected:
  std::unique_ptr<GuestPortPoller> make(std::chrono::milliseconds interval = kInterval) {
    auto poller = std::make_unique<GuestPortPoller>(interval, [this](const std::string& id, const std::string& address) {
      std::lock_guard lock(mutex_);
      addresses_[id] = address;
      return std::make_unique<FakeProbe>(guests_[id]);
    });
    poller->add_observer(recorder_);
    return poller;
  }
  FakeGuest& guest(const std::string& id) {
    std::lock_guard lock(mutex_);
    return guests_[id];
  }

  std::mutex mutex_;
  std::map<std::string, FakeGuest> guests_;
  std::map<std::string, std::string> addresses_;
  Recorder recorder_;
};

TEST_F(PollerTest, AChangeIsToldOnceAndAnUnchangedListNever) {
  auto poller = make();
  auto& vm = guest("vm1");
  vm.set(kSsh);
  poller->watch("vm1", "10.219.0.2");
  ASSERT_TRUE(vm.wait_rounds(5));
  EXPECT_EQ(recorder_.calls(), (std::vector<std::pair<std::string, std::vector<GuestPort>>>{{"vm1", kSsh}}));
  EXPECT_EQ(poller->ports("vm1"), kSsh);
  EXPECT_EQ(addresses_["vm1"], "10.219.0.2");

  vm.set(kSshAndWeb);
  ASSERT_TRUE(vm.wait_rounds(5));
  EXPECT_EQ(recorder_.calls(),
            (std::vector<std::pair<std::string, std::vector<GuestPort>>>{{"vm1", kSsh}, {"vm1", kSshAndWeb}}));
  EXPECT_EQ(poller->ports("vm1"), kSshAndWeb);
}

TEST_F(PollerTest, AGuestWithNoPortsIsNotToldAbout) {
  auto poller = make();
  poller->watch("vm1", "10.219.0.2");
  ASSERT_TRUE(guest("vm1").wait_rounds(3));
  poller->unwatch("vm1");
  EXPECT_TRUE(recorder_.calls().empty());
}

TEST_F(PollerTest, UnwatchEmptiesTheListAndEndsThePolling) {
  auto poller = make();
  auto& vm = guest("vm1");
  vm.set(kSsh);
  poller->watch("vm1", "10.219.0.2");
  ASSERT_TRUE(vm.wait_rounds(2));
  poller->unwatch("vm1");
  EXPECT_EQ(recorder_.calls(),
            (std::vector<std::pair<std::string, std::vector<GuestPort>>>{{"vm1", kSsh}, {"vm1", {}}}));
  EXPECT_EQ(poller->ports("vm1"), std::vector<GuestPort>{});
  vm.set(kSshAndWeb);
  EXPECT_FALSE(vm.wait_rounds(1, 40 * kInterval)) << "no probe after unwatch";
  EXPECT_EQ(recorder_.calls().size(), 2u);
}

TEST_F(PollerTest, AFailingGuestKeepsItsLastListAndIsRetried) {
  auto poller = make();
  auto& vm = guest("vm1");
  vm.set(kSsh);
  poller->watch("vm1", "10.219.0.2");
  ASSERT_TRUE(vm.wait_rounds(2));
  vm.set({}, /*fail=*/true);
  ASSERT_TRUE(vm.wait_rounds(5)) << "retried at every round";
  EXPECT_EQ(poller->ports("vm1"), kSsh);
  EXPECT_EQ(recorder_.calls().size(), 1u) << "a failure is no change";
  vm.set(kSshAndWeb);
  ASSERT_TRUE(vm.wait_rounds(2));
  EXPECT_EQ(poller->ports("vm1"), kSshAndWeb);
  EXPECT_EQ(recorder_.calls().back(), (std::pair<std::string, std::vector<GuestPort>>{"vm1", kSshAndWeb}));
}

TEST_F(PollerTest, ASilentGuestDelaysNeitherOthersNorItsUnwatch) {
  auto poller = make();
  auto& stuck = guest("stuck");
  auto& fine = guest("fine");
  stuck.set(kSsh);
  fine.set(kSsh);
  stuck.hold(true);
  poller->watch("stuck", "10.219.0.2");
  poller->watch("fine", "10.219.0.3");
  ASSERT_TRUE(stuck.wait_calls(1));
  ASSERT_TRUE(fine.wait_rounds(3)) << "the other VM is polled meanwhile";

  const auto before = std::chrono::steady_clock::now();
  poller->unwatch("stuck");  // its probe still hangs
  EXPECT_LT(std::chrono::steady_clock::now() - before, 1s);
  stuck.hold(false);  // the probe answers after all: too late to be told
  poller->unwatch("fine");
  poller->stop();
  for (const auto& [id, ports] : recorder_.calls()) EXPECT_EQ(id, "fine") << "the unwatched VM was told of";
}

TEST_F(PollerTest, AnUnwatchedVmCanBeWatchedAgain) {
  auto poller = make();
  auto& vm = guest("vm1");
  vm.set(kSsh);
  poller->watch("vm1", "10.219.0.2");
  poller->watch("vm1", "10.219.0.2");  // already polled: no second thread
  ASSERT_TRUE(vm.wait_rounds(2));
  poller->unwatch("vm1");
  poller->watch("vm1", "10.219.0.9");
  ASSERT_TRUE(vm.wait_rounds(2));
  EXPECT_EQ(addresses_["vm1"], "10.219.0.9");
  EXPECT_EQ(recorder_.calls(), (std::vector<std::pair<std::string, std::vector<GuestPort>>>{
                                   {"vm1", kSsh}, {"vm1", {}}, {"vm1", kSsh}}));
}

TEST_F(PollerTest, StopTellsNobody) {
  auto poller = make();
  guest("vm1").set(kSsh);
  poller->watch("vm1", "10.219.0.2");
  ASSERT_TRUE(guest("vm1").wait_rounds(2));
  poller->stop();
  EXPECT_EQ(recorder_.calls().size(), 1u) << "the VM keeps running: no empty list";
}

TEST_F(PollerTest, IntervalZeroPollsNothing) {
  auto poller = make(0ms);
  guest("vm1").set(kSsh);
  poller->watch("vm1", "10.219.0.2");
  poller.reset();
  EXPECT_EQ(guest("vm1").calls, 0);
  EXPECT_TRUE(addresses_.empty());
}

TEST_F(PollerTest, PollsAtTheInterval) {
  auto poller = make(200ms);
  poller->watch("vm1", "10.219.0.2");
  auto& vm = guest("vm1");
  ASSERT_TRUE(vm.wait_rounds(3));
  // Measured where the probes begin, not where this thread wakes to see them.
  std::lock_guard lock(vm.mutex);
  EXPECT_GE(vm.started.at(2) - vm.started.at(0), 400ms);
}

}  // namespace
}  // namespace banger
