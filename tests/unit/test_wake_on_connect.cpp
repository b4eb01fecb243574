// Wake-on-connect (issue 19) in the domain (core/wake_on_connect.h), over
// mocked rules, held packets and starts: which VMs get a rule and when it
// goes, which VM a held SYN wakes, and that every held packet is let go once.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <stdexcept>

#include "core/wake_on_connect.h"
#include "store_fixtures.h"

namespace banger {
namespace {

struct MockRules final : WakeRules {
  std::vector<std::vector<WakeEntry>> applied;
  bool refuse = false;
  void set(const std::vector<WakeEntry>& entries) override {
    if (refuse) throw std::runtime_error("nft: refused");
    applied.push_back(entries);
  }
};

struct MockHeld final : HeldConnections {
  std::vector<std::uint32_t> released;
  void release(std::uint32_t id) noexcept override { released.push_back(id); }
};

struct FakeAttachments final : VmAttachments {
  std::map<std::string, std::string> addresses;  // vm id → address
  std::optional<VmAttachment> attachment_of(const VmRecord& vm) override {
    auto found = addresses.find(vm.id);
    if (found == addresses.end()) return std::nullopt;
    return VmAttachment{{}, found->second, vm.name + ".vm"};
  }
  std::vector<DnsEntry> dns_entries(const std::string&) override { return {}; }
};

struct FakeForwards final : ForwardStore {
  std::map<std::string, std::vector<PortForward>> by_vm;
  std::vector<PortForward> list_forwards(const std::string& vm_id) override { return by_vm[vm_id]; }
  std::vector<VmForward> list_all_forwards() override { return {}; }
  void insert_forward(const std::string&, const PortForward&) override {}
  bool delete_forward(const std::string&, const std::string&, std::uint16_t) override { return false; }
};

constexpr std::uint32_t web_address = 0x0ac90002;  // 10.201.0.2

struct WakeOnConnectTest : ::testing::Test {
  MockRules rules;
  MockHeld held;
  FakeAttachments attachments;
  FakeForwards forwards;
  std::vector<std::function<void()>> jobs;  // run by the test, as a worker would
  std::vector<std::string> started;
  bool start_fails = false;
  WakeOnConnect wake{{rules, held, attachments, forwards, [this](std::function<void()> job) { jobs.push_back(job); },
                      [this](const std::string& id) {
                        if (start_fails) throw std::runtime_error("no room");
                        started.push_back(id);
                      }}};

  WakeOnConnectTest() {
    attachments.addresses = {{"id-web", "10.201.0.2"}, {"id-db", "10.201.0.3"}};
    forwards.by_vm["id-web"] = {{"tcp", 9090, 80, false}, {"udp", 5353, 53, false}, {"tcp", 8080, 80, true}};
  }
  static VmRecord vm(const std::string& id, VmState state, std::uint32_t idle_s = 60) {
    auto v = testing::make_vm(id, id.substr(3));
    v.state = state;
    v.idle_suspend_s = idle_s;
    return v;
  }
  void run_jobs() {
    auto now = std::move(jobs);
    jobs.clear();
    for (auto& job : now) job();
  }
};

TEST_F(WakeOnConnectTest, ASuspendedVmWithIdleSleepGetsARuleForItsAddressAndTcpForwards) {
  wake.vm_changed(vm("id-web", VmState::running), vm("id-web", VmState::suspended), "suspended");
  ASSERT_EQ(rules.applied.size(), 1u);
  EXPECT_EQ(rules.applied.back(), (std::vector<WakeEntry>{{"10.201.0.2", {8080, 9090}}}));
}

TEST_F(WakeOnConnectTest, TheRuleGoesWhenTheVmStartsStopsOrIsDeleted) {
  const auto suspended = vm("id-web", VmState::suspended);
  for (auto leave : {std::function<void()>([&] { wake.vm_changed(suspended, vm("id-web", VmState::starting), ""); }),
                     std::function<void()>([&] { wake.vm_changed(suspended, vm("id-web", VmState::stopped), ""); }),
                     std::function<void()>([&] { wake.vm_removed(suspended); })}) {
    wake.vm_changed(vm("id-web", VmState::running), suspended, "");
    ASSERT_EQ(rules.applied.back().size(), 1u);
    leave();
    EXPECT_TRUE(rules.applied.back().empty()) << "nothing left behind";
  }
}

TEST_F(WakeOnConnectTest, NoRuleWithoutIdleSleepOrAnAddressOrWhileRunningOrPaused) {
  wake.vm_added(vm("id-web", VmState::suspended, 0));  // suspended by hand
  wake.vm_added(vm("id-solo", VmState::suspended));   // no network
  wake.vm_added(vm("id-db", VmState::running));
  wake.vm_added(vm("id-db", VmState::paused));
  EXPECT_TRUE(rules.applied.empty()) << "and no rewrite for nothing";
  wake.vm_changed(vm("id-db", VmState::running), vm("id-db", VmState::running, 30), "set");
  EXPECT_TRUE(rules.applied.empty());
}

TEST_F(WakeOnConnectTest, LoadAfterARestartMakesTheRulesForTheVmsSuspendedNow) {
  wake.load({vm("id-web", VmState::suspended), vm("id-db", VmState::running)});
  ASSERT_EQ(rules.applied.size(), 1u);
  EXPECT_EQ(rules.applied.back(), (std::vector<WakeEntry>{{"10.201.0.2", {8080, 9090}}}));
  wake.load({});
  EXPECT_TRUE(rules.applied.back().empty()) << "a table from before is removed";
}

TEST_F(WakeOnConnectTest, ASynToItsAddressStartsItOnAWorkerAndIsLetGoAfterwards) {
  wake.load({vm("id-web", VmState::suspended)});
  wake.connection(7, web_address, 22);
  EXPECT_TRUE(held.released.empty()) << "held while the VM starts";
  ASSERT_EQ(jobs.size(), 1u);
  run_jobs();
  EXPECT_EQ(started, std::vector<std::string>{"id-web"});
  EXPECT_EQ(held.released, std::vector<std::uint32_t>{7});
}

TEST_F(WakeOnConnectTest, ASynToAForwardedHostPortWakesItsVm) {
  wake.load({vm("id-web", VmState::suspended), vm("id-db", VmState::suspended)});
  wake.connection(7, 0xc0000201 /* the host's 192.0.2.1 */, 9090);
  run_jobs();
  EXPECT_EQ(started, std::vector<std::string>{"id-web"});
}

TEST_F(WakeOnConnectTest, SynsWhileItStartsWaitForTheSameStart) {
  wake.load({vm("id-web", VmState::suspended)});
  wake.connection(7, web_address, 22);
  wake.connection(8, web_address, 80);
  EXPECT_EQ(jobs.size(), 1u) << "one start";
  run_jobs();
  EXPECT_EQ(started.size(), 1u);
  EXPECT_EQ(held.released, (std::vector<std::uint32_t>{7, 8}));
}

TEST_F(WakeOnConnectTest, ASynToNoSuspendedVmIsLetGoAtOnce) {
  wake.load({vm("id-web", VmState::suspended)});
  wake.connection(7, 0x0ac90009, 22);
  wake.connection(8, 0xc0000201, 9999);
  EXPECT_EQ(held.released, (std::vector<std::uint32_t>{7, 8}));
  EXPECT_TRUE(jobs.empty());
}

TEST_F(WakeOnConnectTest, AStartThatFailsStillLetsThePacketGo) {
  wake.load({vm("id-web", VmState::suspended)});
  start_fails = true;
  wake.connection(7, web_address, 22);
  run_jobs();
  EXPECT_EQ(held.released, std::vector<std::uint32_t>{7});
  start_fails = false;
  wake.connection(9, web_address, 22);
  run_jobs();
  EXPECT_EQ(started, std::vector<std::string>{"id-web"}) << "a later SYN tries again";
}

TEST_F(WakeOnConnectTest, RulesTheHostRefusesAreLoggedNotThrown) {
  rules.refuse = true;
  EXPECT_NO_THROW(wake.vm_changed(vm("id-web", VmState::running), vm("id-web", VmState::suspended), ""));
}

}  // namespace
}  // namespace banger
