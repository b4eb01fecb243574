#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/doctor_runs.h"
#include "core/errors.h"

namespace banger {
namespace {

using namespace std::chrono_literals;

// Collects the answers a test waits for.
struct Answers {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> got;  // the first check's summary, or "error: ..."
  DoctorRuns::Answer answer() {
    return [this](const std::vector<DoctorCheck>& checks, std::exception_ptr error) {
      std::string what;
      try {
        if (error) std::rethrow_exception(error);
        what = checks.at(0).summary;
      } catch (const std::exception& e) {
        what = std::string("error: ") + e.what();
      }
      std::lock_guard lock(mutex);
      got.push_back(what);
      changed.notify_all();
    };
  }
  bool wait_for(std::size_t n) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 10s, [&] { return got.size() >= n; });
  }
};

struct DoctorRunsTest : ::testing::Test {
  std::atomic<int> runs{0};
  std::atomic<bool> fail{false};
  Answers answers;
  DoctorRuns doctor{[this] {
    const int n = ++runs;
    std::this_thread::sleep_for(200ms);
    if (fail) throw Error(ErrorKind::internal, "the store is gone");
    return std::vector<DoctorCheck>{{"kvm", "ok", "run " + std::to_string(n), "", ""}};
  }};
};

TEST_F(DoctorRunsTest, RequestsDuringARunShareIt) {
  for (int i = 0; i < 8; ++i) doctor.request(answers.answer());
  ASSERT_TRUE(answers.wait_for(8));
  EXPECT_EQ(runs, 1) << "eight requests at once ran the checks once";
  for (const auto& a : answers.got) EXPECT_EQ(a, "run 1");
}

TEST_F(DoctorRunsTest, ARequestAfterARunGetsAFreshRun) {
  doctor.request(answers.answer());
  ASSERT_TRUE(answers.wait_for(1));
  doctor.request(answers.answer());
  ASSERT_TRUE(answers.wait_for(2));
  EXPECT_EQ(answers.got[1], "run 2") << "no result is kept after its run";
}

TEST_F(DoctorRunsTest, EveryoneWaitingHearsOfAFailure) {
  fail = true;
  doctor.request(answers.answer());
  doctor.request(answers.answer());
  ASSERT_TRUE(answers.wait_for(2));
  for (const auto& a : answers.got) EXPECT_EQ(a, "error: the store is gone");
}

}  // namespace
}  // namespace banger
