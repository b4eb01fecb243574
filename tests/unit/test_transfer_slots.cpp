#include <gtest/gtest.h>

#include <vector>

#include "core/transfer_slots.h"
#include "error_kind.h"

namespace banger {
namespace {

using testing::kind_of;

TEST(TransferSlots, OneUserHoldsAtMostPerUidAndTheSlotsComeBack) {
  TransferSlots slots(8, 2);
  auto a = slots.acquire(1000);
  auto b = slots.acquire(1000);
  EXPECT_EQ(kind_of([&] { slots.acquire(1000); }), ErrorKind::resource_exhausted);
  auto other = slots.acquire(1001);  // someone else is not held up
  b.reset();
  EXPECT_NO_THROW(slots.acquire(1000));
}

TEST(TransferSlots, EveryoneTogetherHoldsAtMostTotalRootIncluded) {
  TransferSlots slots(3, 2);
  std::vector<TransferSlots::Slot> held{slots.acquire(0), slots.acquire(0), slots.acquire(0)};  // root: no per-uid cap
  EXPECT_EQ(kind_of([&] { slots.acquire(1000); }), ErrorKind::resource_exhausted);
  EXPECT_EQ(kind_of([&] { slots.acquire(0); }), ErrorKind::resource_exhausted);
  held.pop_back();
  EXPECT_NO_THROW(slots.acquire(1000));
}

}  // namespace
}  // namespace banger
