#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "core/errors.h"
#include "core/lock_table.h"

namespace banger {
namespace {

using namespace std::chrono_literals;

TEST(LockTable, SecondAcquirerTimesOutWithBusy) {
  LockTable locks;
  auto held = locks.acquire("vm1", 0ms, "VM vm1");
  std::optional<ErrorKind> kind;
  std::thread other([&] {
    try {
      locks.acquire("vm1", 20ms, "VM vm1");
    } catch (const Error& e) {
      kind = e.kind();
    }
  });
  other.join();
  EXPECT_EQ(kind, ErrorKind::busy);
}

TEST(LockTable, DifferentKeysDoNotBlockEachOther) {
  LockTable locks;
  auto a = locks.acquire("vm1", 0ms, "a");
  EXPECT_NO_THROW(locks.acquire("vm2", 0ms, "b"));
}

TEST(LockTable, ReleaseLetsTheWaiterIn) {
  LockTable locks;
  auto held = std::make_unique<LockTable::Guard>(locks.acquire("vm1", 0ms, "a"));
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    auto g = locks.acquire("vm1", 5s, "a");
    got = true;
  });
  held.reset();
  waiter.join();
  EXPECT_TRUE(got);
}

TEST(LockTable, SerialisesCriticalSections) {
  LockTable locks;
  int inside = 0, max_inside = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        auto g = locks.acquire("vm", 10s, "vm");
        max_inside = std::max(max_inside, ++inside);
        --inside;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(max_inside, 1);
}

TEST(LockTable, EntriesVanishWhenUnused) {
  LockTable locks;
  {
    auto a = locks.acquire("vm1", 0ms, "a");
    auto b = locks.acquire("vm2", 0ms, "b");
    EXPECT_EQ(locks.size(), 2u);
  }
  EXPECT_EQ(locks.size(), 0u);
  try {
    auto a = locks.acquire("vm1", 0ms, "a");
    locks.acquire("vm1", 0ms, "a");
  } catch (const Error&) {
  }
  EXPECT_EQ(locks.size(), 0u);
}

TEST(LockTable, GuardMoveKeepsOneRelease) {
  LockTable locks;
  LockTable::Guard outer;
  {
    auto inner = locks.acquire("vm1", 0ms, "a");
    outer = std::move(inner);
  }
  EXPECT_EQ(locks.size(), 1u);
  outer = LockTable::Guard();
  EXPECT_EQ(locks.size(), 0u);
}

}  // namespace
}  // namespace banger
