// When banger's wake table exists (net/wake_table.h), in a namespace of the
// test's own: not until a VM needs it, not when only a killed bangerd's is
// there, and until remove(). The VM-needs-it steps need nftables' queue
// statement and skip on a kernel without it (CONFIG_NFT_QUEUE off, as on the
// CI's VM kernel); the others run anywhere with root and nft.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "net/wake_table.h"
#include "netns.h"

namespace banger {
namespace {

constexpr std::uint16_t queue_num = 2991;
const std::vector<WakeEntry> one_sleeping_vm = {{"10.201.0.2", {18080}}};

class WakeTableLifecycle : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const auto why = test::netns_unavailable({.programs = {"nft"}})) GTEST_SKIP() << *why;
    ns_ = std::make_unique<test::ScopedNetns>();  // entered: libnftables works in it
  }

  std::string listed() const { return ns_->exec("nft list table ip banger_wake 2>/dev/null").out; }
  bool exists() const { return ns_->exec("nft list table ip banger_wake >/dev/null 2>&1").status == 0; }
  bool nft_queue() const {
    const auto probe = ns_->exec(
        "nft 'add table ip wake_probe; add chain ip wake_probe c { type filter hook output priority raw; }; "
        "add rule ip wake_probe c queue num 1 bypass' 2>/dev/null");
    ns_->exec("nft delete table ip wake_probe 2>/dev/null");
    return probe.status == 0;
  }
  // As a killed bangerd leaves it: the chains, and a rule for a VM that no longer sleeps.
  void leave_table() const {
    // One nft command line: exec() runs only its first program in the namespace.
    const auto made = ns_->exec(
        "nft 'add table ip banger_wake; "
        "add chain ip banger_wake prerouting { type filter hook prerouting priority raw; }; "
        "add rule ip banger_wake prerouting ip daddr 10.201.0.9 drop'");
    ASSERT_EQ(made.status, 0) << made.out;
  }

  std::unique_ptr<test::ScopedNetns> ns_;
  WakeTable table_{queue_num};
};

TEST_F(WakeTableLifecycle, NoSleepingVmMakesNoTable) {
  table_.set({});
  EXPECT_FALSE(exists()) << listed();
  table_.set({});
  EXPECT_FALSE(exists()) << listed();
}

TEST_F(WakeTableLifecycle, AKilledBangerdsTableGoesWhenNoVmNeedsIt) {
  leave_table();
  ASSERT_TRUE(exists());
  table_.set({});
  EXPECT_FALSE(exists()) << listed();
}

TEST_F(WakeTableLifecycle, TheFirstSleepingVmMakesItItsChainsStayAndRemoveDropsIt) {
  if (!nft_queue()) GTEST_SKIP() << "the kernel has no nft queue statement (CONFIG_NFT_QUEUE)";
  table_.set({});
  ASSERT_FALSE(exists());
  table_.set(one_sleeping_vm);
  EXPECT_NE(listed().find("ip daddr 10.201.0.2"), std::string::npos) << listed();
  table_.set({});  // the VM woke: its packets may still be held, so the chains stay
  EXPECT_EQ(listed().find("queue"), std::string::npos) << listed();
  EXPECT_NE(listed().find("chain prerouting"), std::string::npos) << listed();
  table_.remove();
  EXPECT_FALSE(exists()) << listed();
  table_.remove();  // and again: no error for a table that is not there
}

TEST_F(WakeTableLifecycle, AKilledBangerdsTableIsRefilledWhenAVmNeedsIt) {
  if (!nft_queue()) GTEST_SKIP() << "the kernel has no nft queue statement (CONFIG_NFT_QUEUE)";
  leave_table();
  table_.set(one_sleeping_vm);
  EXPECT_NE(listed().find("ip daddr 10.201.0.2"), std::string::npos) << listed();
  EXPECT_EQ(listed().find("10.201.0.9"), std::string::npos) << "the stale rule is gone\n" << listed();
}

}  // namespace
}  // namespace banger
