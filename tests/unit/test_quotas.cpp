// Per-owner quotas: the pure rule (core/quotas.h) and its enforcement by
// VmManager at create, clone and set, under the create lock.
#include <future>
#include <map>
#include <string>
#include <vector>

#include "core/errors.h"
#include "core/quotas.h"
#include "error_kind.h"
#include "vm_manager_fixture.h"

namespace banger {
namespace {

using testing::kind_of;

VmRecord vm_of(std::string id, std::uint32_t owner, std::uint32_t vcpus, std::uint32_t memory) {
  VmRecord vm;
  vm.id = id;
  vm.name = "vm-" + id;
  vm.owner_uid = owner;
  vm.vcpus = vcpus;
  vm.memory_mib = memory;
  return vm;
}

std::string message_of(auto&& call) {
  try {
    call();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::resource_exhausted) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "not refused";
  return "";
}

TEST(Quotas, UseCountsOnlyTheOwnersOtherVms) {
  const std::vector<VmRecord> vms{vm_of("a", 1000, 2, 512), vm_of("b", 1000, 1, 256), vm_of("c", 2000, 8, 4096)};
  const auto use = quota_use(vms, 1000, "b");
  EXPECT_EQ(use.vms, 1u);
  EXPECT_EQ(use.vcpus, 2u);
  EXPECT_EQ(use.memory_mib, 512u);
}

TEST(Quotas, EachLimitRefusesANewVmThatWouldPassItAndNamesLimitAndUse) {
  const std::vector<VmRecord> vms{vm_of("a", 1000, 2, 512), vm_of("b", 1000, 2, 512)};
  const auto fresh = vm_of("new", 1000, 2, 512);
  auto m = message_of([&] { enforce_quota({2, 0, 0}, vms, nullptr, fresh); });
  EXPECT_NE(m.find("max_vms = 2"), std::string::npos) << m;
  EXPECT_NE(m.find("already uses 2 VMs"), std::string::npos) << m;
  m = message_of([&] { enforce_quota({0, 5, 0}, vms, nullptr, fresh); });
  EXPECT_NE(m.find("max_vcpus = 5"), std::string::npos) << m;
  EXPECT_NE(m.find("already uses 4 vCPUs"), std::string::npos) << m;
  m = message_of([&] { enforce_quota({0, 0, 1500}, vms, nullptr, fresh); });
  EXPECT_NE(m.find("max_memory_mib = 1500"), std::string::npos) << m;
  EXPECT_NE(m.find("already uses 1024 MiB"), std::string::npos) << m;
}

TEST(Quotas, ExactlyAtTheLimitIsAllowedAndZeroIsUnlimited) {
  const std::vector<VmRecord> vms{vm_of("a", 1000, 2, 512)};
  EXPECT_NO_THROW(enforce_quota({2, 4, 1024}, vms, nullptr, vm_of("new", 1000, 2, 512)));
  EXPECT_NO_THROW(enforce_quota({0, 0, 0}, vms, nullptr, vm_of("new", 1000, 200, 1 << 20)));
}

TEST(Quotas, RootIsNeverLimitedAndOtherOwnersDoNotCount) {
  const std::vector<VmRecord> vms{vm_of("a", 0, 2, 512), vm_of("b", 2000, 2, 512)};
  EXPECT_NO_THROW(enforce_quota({1, 1, 1}, vms, nullptr, vm_of("new", 0, 4, 4096)));
  EXPECT_NO_THROW(enforce_quota({1, 2, 512}, vms, nullptr, vm_of("new", 1000, 2, 512)));
}

TEST(Quotas, AChangeIsCheckedOnlyForWhatItRaises) {
  const std::vector<VmRecord> vms{vm_of("a", 1000, 4, 1024), vm_of("b", 1000, 4, 1024)};
  const auto before = vms[1];
  // Over a lowered quota: shrinking or keeping passes, growing does not.
  auto smaller = before;
  smaller.vcpus = 2;
  EXPECT_NO_THROW(enforce_quota({1, 4, 1024}, vms, &before, smaller));
  auto bigger = before;
  bigger.memory_mib = 2048;
  EXPECT_NO_THROW(enforce_quota({0, 0, 3072}, vms, &before, bigger)) << "its own old size does not count twice";
  bigger.memory_mib = 2049;
  EXPECT_NE(message_of([&] { enforce_quota({0, 0, 3072}, vms, &before, bigger); }).find("max_memory_mib"),
            std::string::npos);
}

// Disks the ledger reports: root disks by VM id, kept disks by owner.
struct FixedDiskLedger : DiskLedger {
  std::map<std::string, std::uint64_t> roots;
  std::map<std::uint32_t, std::uint64_t> kept;
  std::uint64_t root_disk_mib(const VmRecord& vm) override { return roots.contains(vm.id) ? roots[vm.id] : 0; }
  std::uint64_t kept_disks_mib(std::uint32_t owner) override { return kept.contains(owner) ? kept[owner] : 0; }
};

VmRecord with_disks(VmRecord vm, std::uint64_t work_mib) {
  vm.work_disk_mib = work_mib;
  return vm;
}

UserQuota disk_quota(std::uint64_t mib) { return UserQuota{0, 0, 0, mib}; }

TEST(Quotas, DisksCountRootAndWorkDisksAndTheOwnersKeptOnes) {
  FixedDiskLedger ledger;
  ledger.roots = {{"a", 100}, {"new", 50}};
  ledger.kept = {{1000, 300}, {2000, 9999}};
  const std::vector<VmRecord> vms{with_disks(vm_of("a", 1000, 1, 128), 400), with_disks(vm_of("c", 2000, 1, 128), 800)};
  EXPECT_EQ(quota_use(vms, 1000, "", &ledger).disk_mib, 100u + 400u + 300u);
  EXPECT_EQ(quota_use(vms, 1000, "").disk_mib, 0u) << "no ledger, no disks counted";

  const auto fresh = with_disks(vm_of("new", 1000, 1, 128), 150);  // 50 + 150 = 200 more
  EXPECT_NO_THROW(enforce_quota(disk_quota(1000), vms, nullptr, fresh, &ledger)) << "exactly at the limit";
  const auto m = message_of([&] { enforce_quota(disk_quota(999), vms, nullptr, fresh, &ledger); });
  EXPECT_NE(m.find("max_disk_mib = 999"), std::string::npos) << m;
  EXPECT_NE(m.find("already uses 800 MiB of disks"), std::string::npos) << m;
  EXPECT_NE(m.find("asks for 200 more"), std::string::npos) << m;
  ledger.kept[1000] = 301;
  EXPECT_EQ(kind_of([&] { enforce_quota(disk_quota(1000), vms, nullptr, fresh, &ledger); }),
            ErrorKind::resource_exhausted)
      << "a kept disk counts like a VM's";
  EXPECT_NO_THROW(enforce_quota(disk_quota(0), vms, nullptr, fresh, &ledger)) << "0 is unlimited";
  EXPECT_NO_THROW(enforce_quota(disk_quota(1), vms, nullptr, with_disks(vm_of("r", 0, 1, 128), 8192), &ledger))
      << "root is never limited";
}

TEST(Quotas, GrowingADiskIsCheckedAndItsOldSizeDoesNotCountTwice) {
  FixedDiskLedger ledger;
  const std::vector<VmRecord> vms{with_disks(vm_of("a", 1000, 1, 128), 400), with_disks(vm_of("b", 1000, 1, 128), 600)};
  const auto before = vms[1];
  auto grown = with_disks(before, 700);
  EXPECT_NO_THROW(enforce_quota(disk_quota(1100), vms, &before, grown, &ledger));
  grown.work_disk_mib = 701;
  EXPECT_NE(message_of([&] { enforce_quota(disk_quota(1100), vms, &before, grown, &ledger); }).find("max_disk_mib"),
            std::string::npos);
  // Over a lowered limit: what does not grow a disk still passes.
  auto renamed = before;
  renamed.name = "other";
  EXPECT_NO_THROW(enforce_quota(disk_quota(10), vms, &before, renamed, &ledger));
}

TEST(Quotas, ASuspendedVmsSavedStateCountsAsItsMemory) {
  FixedDiskLedger ledger;
  auto running = with_disks(vm_of("a", 1000, 1, 256), 400);
  auto suspended = running;
  suspended.state = VmState::suspended;
  EXPECT_EQ(quota_use({suspended}, 1000, "", &ledger).disk_mib, 400u + 256u);
  EXPECT_NO_THROW(enforce_quota(disk_quota(656), {running}, &running, suspended, &ledger));
  const auto m = message_of([&] { enforce_quota(disk_quota(655), {running}, &running, suspended, &ledger); });
  EXPECT_NE(m.find("asks for 656 more"), std::string::npos) << m;
}

struct QuotaManagerTest : VmManagerTest {
  VmManager limited{{store, backends, caps, events, handles_files, &watch}, {200ms, 1500ms, runtime, {}, UserQuota{2, 6, 1024}}};

  VmRecord create_as(std::uint32_t owner, const std::string& name, std::uint32_t vcpus = 2,
                     std::uint32_t memory = 256) {
    auto vm = limited.begin_create({name, vcpus, memory, "default", {}}, owner);
    return limited.finish_create(vm.id, progress);
  }
};

TEST_F(QuotaManagerTest, CreateIsRefusedPastMaxVmsCountingCreatingOnesAndLeavesNoRecord) {
  create_as(1000, "one");
  limited.begin_create({"two", 1, 128, "default", {}}, 1000);  // still creating: counts
  EXPECT_EQ(kind_of([&] { limited.begin_create({"three", 1, 128, "default", {}}, 1000); }),
            ErrorKind::resource_exhausted);
  EXPECT_EQ(store.list_vms().size(), 2u);
  EXPECT_NO_THROW(create_as(2000, "bobs")) << "another owner has a quota of their own";
  EXPECT_NO_THROW(create_as(0, "roots", 32, 65536)) << "root is exempt";
}

TEST_F(QuotaManagerTest, CloneCountsAgainstTheCallersQuota) {
  const auto source = create_as(1000, "src", 4);
  EXPECT_EQ(kind_of([&] { limited.begin_clone(source.id, "copy", 1000); }), ErrorKind::resource_exhausted)
      << "4 + 4 vCPUs > 6";
  EXPECT_NO_THROW(limited.begin_clone(source.id, "copy", 2000));
}

TEST_F(QuotaManagerTest, SetRefusesGrowthPastTheQuotaAndKeepsTheRecord) {
  create_as(1000, "one", 2, 512);
  const auto two = create_as(1000, "two", 2, 256);
  VmChanges more;
  more.memory_mib = 768;  // 512 + 768 > 1024
  EXPECT_EQ(kind_of([&] { limited.set(two.id, more); }), ErrorKind::resource_exhausted);
  EXPECT_EQ(store.find_vm(two.id)->memory_mib, 256u);
  more.memory_mib = 512;
  EXPECT_EQ(limited.set(two.id, more).memory_mib, 512u);
  VmChanges vcpus;
  vcpus.vcpus = 5;
  EXPECT_EQ(kind_of([&] { limited.set(two.id, vcpus); }), ErrorKind::resource_exhausted);
  vcpus.vcpus = 4;
  EXPECT_EQ(limited.set(two.id, vcpus).vcpus, 4u);
}

TEST_F(QuotaManagerTest, ConcurrentCreatesNeverTakeMoreThanTheQuota) {
  std::vector<std::future<bool>> calls;
  for (int i = 0; i < 8; ++i)
    calls.push_back(std::async(std::launch::async, [this, i] {
      try {
        limited.begin_create({"race-" + std::to_string(i), 1, 128, "default", {}}, 1000);
        return true;
      } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::resource_exhausted) << e.what();
        return false;
      }
    }));
  int accepted = 0;
  for (auto& c : calls) accepted += c.get() ? 1 : 0;
  EXPECT_EQ(accepted, 2);
  EXPECT_EQ(store.list_vms().size(), 2u);
}

}  // namespace
}  // namespace banger
