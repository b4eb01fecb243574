// The core pieces the daemon shares between its bus thread, worker threads and
// periodic tasks, hammered from many threads at once. They pass on their own as
// ordinary tests; their point is the TSan phase (tests/phases/tsan.sh), which
// runs suite 'concurrency' on a -fsanitize=thread build and fails on any race.
#include <atomic>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "core/errors.h"
#include "core/lock_table.h"
#include "core/periodic_task.h"
#include "core/vm_events_fanout.h"
#include "core/worker_pool.h"
#include "vm_manager_fixture.h"

namespace banger {
namespace {

constexpr int kThreads = 8;

// Runs `body(thread index)` on kThreads threads started together.
template <typename Body>
void on_threads(Body body) {
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      body(t);
    });
  go = true;
  for (auto& thread : threads) thread.join();
}

TEST(LockTableConcurrency, GuardsExcludeEachOtherAndTheTableEmpties) {
  LockTable table;
  // Plain ints on purpose: only the table's locks keep the increments apart.
  std::map<std::string, long> counters{{"a", 0}, {"b", 0}, {"c", 0}};
  constexpr int kRounds = 2000;
  on_threads([&](int t) {
    for (int i = 0; i < kRounds; ++i) {
      const std::string key = std::string(1, static_cast<char>('a' + (t + i) % 3));
      auto guard = table.acquire(key, 10s, "counter " + key);
      ++counters[key];
    }
  });
  long total = 0;
  for (const auto& [key, count] : counters) total += count;
  EXPECT_EQ(total, long{kThreads} * kRounds);
  EXPECT_EQ(table.size(), 0u);
}

TEST(LockTableConcurrency, AShortTimeoutUnderContentionIsBusyNeverADeadlock) {
  LockTable table;
  std::atomic<int> acquired{0}, busy{0};
  on_threads([&](int) {
    for (int i = 0; i < 200; ++i) {
      try {
        auto guard = table.acquire("vm", 1ms, "vm");
        ++acquired;
        std::this_thread::sleep_for(50us);
      } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::busy) << e.what();
        ++busy;
      }
    }
  });
  EXPECT_EQ(acquired + busy, kThreads * 200);
  EXPECT_GT(acquired.load(), 0);
  EXPECT_EQ(table.size(), 0u);
}

TEST(WorkerPoolConcurrency, EveryJobSubmittedFromManyThreadsRunsOnce) {
  constexpr int kJobs = 500;
  std::vector<std::atomic<int>> runs(kThreads * kJobs);
  {
    WorkerPool pool(4);
    on_threads([&](int t) {
      for (int i = 0; i < kJobs; ++i) pool.submit([&runs, slot = t * kJobs + i] { ++runs[slot]; });
    });
  }  // the destructor finishes what is still queued
  int wrong = 0;
  for (auto& r : runs) wrong += r.load() != 1;
  EXPECT_EQ(wrong, 0);
}

TEST(PeriodicTaskConcurrency, DestroyingWhileARoundRunsWaitsForIt) {
  for (int i = 0; i < 50; ++i) {
    std::atomic<int> rounds{0};
    std::atomic<bool> inside{false};
    {
      PeriodicTask task(1ms, [&] {
        inside = true;
        std::this_thread::sleep_for(200us);
        ++rounds;
        inside = false;
      });
      std::this_thread::sleep_for(std::chrono::microseconds(100 * (i % 7)));
    }
    EXPECT_FALSE(inside.load()) << "a round still ran after the destructor returned";
  }
}

// A listener that counts what it is told, as the bus objects and pollers do.
class CountingListener final : public VmEvents {
 public:
  void vm_added(const VmRecord&) override { ++added; }
  void vm_changed(const VmRecord&, const VmRecord&, std::string_view) override { ++changed; }
  void vm_removed(const VmRecord&) override { ++removed; }
  std::atomic<int> added{0}, changed{0}, removed{0};
};

TEST(VmEventsFanoutConcurrency, EveryListenerHearsEveryEventFromEveryThread) {
  CountingListener first, second;
  VmEventsFanout fanout{&first, &second};
  VmRecord vm;
  vm.id = "id";
  on_threads([&](int) {
    for (int i = 0; i < 1000; ++i) {
      fanout.vm_added(vm);
      fanout.vm_changed(vm, vm, "test");
      fanout.vm_removed(vm);
    }
  });
  for (auto* l : {&first, &second}) {
    EXPECT_EQ(l->added, kThreads * 1000);
    EXPECT_EQ(l->changed, kThreads * 1000);
    EXPECT_EQ(l->removed, kThreads * 1000);
  }
}

using VmManagerConcurrency = VmManagerTest;

bool is_stable(VmState s) { return s == VmState::created || s == VmState::running || s == VmState::stopped; }

// Random lifecycle verbs on a few VMs from many threads: every call either succeeds or
// is refused with a lifecycle error, and each VM ends where the verbs left it.
TEST_F(VmManagerConcurrency, RandomVerbsFromManyThreadsLeaveEveryVmStable) {
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(created("vm" + std::to_string(i)).id);
  std::mutex results_mutex;
  std::map<std::string, int> outcomes;  // "verb:ok" or "verb:<error kind>" → count
  on_threads([&](int t) {
    std::mt19937 random(static_cast<unsigned>(t) * 7919u);
    std::map<std::string, int> mine;
    for (int i = 0; i < 150; ++i) {
      const std::string& id = ids[random() % ids.size()];
      const int verb = static_cast<int>(random() % 6);
      const char* names[] = {"start", "stop", "restart", "kill", "touch", "set"};
      std::string outcome = "ok";
      try {
        VmRecord after;
        switch (verb) {
          case 0: after = manager.start(id); break;
          case 1: after = manager.stop(id, random() % 2 == 0); break;
          case 2: after = manager.restart(id); break;
          case 3: after = manager.kill(id); break;
          case 4: after = manager.touch(id); break;
          default: {
            VmChanges c;
            c.memory_mib = 256 + 64 * (random() % 4);
            after = manager.set(id, c);
          }
        }
        EXPECT_TRUE(is_stable(after.state)) << names[verb] << " returned " << to_string(after.state);
      } catch (const Error& e) {
        EXPECT_TRUE(e.kind() == ErrorKind::invalid_state || e.kind() == ErrorKind::busy)
            << names[verb] << ": " << to_string(e.kind()) << ": " << e.what();
        outcome = std::string(to_string(e.kind()));
      }
      ++mine[std::string(names[verb]) + ":" + outcome];
    }
    std::lock_guard lock(results_mutex);
    for (const auto& [k, n] : mine) outcomes[k] += n;
  });
  int total = 0;
  std::string by_outcome;
  for (const auto& [k, n] : outcomes) {
    total += n;
    by_outcome += " " + k + "=" + std::to_string(n);
  }
  std::cout << "VmManager concurrency operations: " << total << " (" << by_outcome << " )\n";
  EXPECT_EQ(total, kThreads * 150);
  for (const auto& id : ids) {
    const VmState s = state_of(id);
    EXPECT_TRUE(is_stable(s)) << id << " ended " << to_string(s);
    EXPECT_EQ(manager.touch(id).state, s);
  }
}

}  // namespace
}  // namespace banger
