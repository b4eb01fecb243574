#include <gtest/gtest.h>

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <vector>

#include "vmm/exit_watcher.h"
#include "vmm/process.h"

namespace banger {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// The watcher as bangerd runs it: SIGCHLD blocked (before its thread starts)
// and, unless a test says otherwise, this process the VMMs' subreaper.
struct ExitWatcherTest : ::testing::Test {
  struct Seen {
    std::string vm_id;
    VmmProcess process;
    VmmExit exit;
  };

  fs::path log = fs::temp_directory_path() / ("banger-watcher-" + std::to_string(getpid()));
  sigset_t old_mask;
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<Seen> seen;
  std::unique_ptr<ExitWatcher> watcher;

  void SetUp() override {
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    pthread_sigmask(SIG_BLOCK, &chld, &old_mask);
    subreaper(true);
    watcher = std::make_unique<ExitWatcher>();
    watcher->start([this](const std::string& id, const VmmProcess& p, const VmmExit& e) {
      std::lock_guard lock(mutex);
      seen.push_back({id, p, e});
      changed.notify_all();
    });
  }
  void TearDown() override {
    watcher.reset();
    subreaper(false);
    pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    fs::remove(log);
  }
  static void subreaper(bool on) { prctl(PR_SET_CHILD_SUBREAPER, on ? 1 : 0); }

  VmmProcess spawn(const std::string& script) {
    auto p = spawn_detached({"/bin/sh", "-c", script}, log);
    return {p.pid, p.start_time};
  }
  std::optional<Seen> next(std::chrono::milliseconds timeout = 2s) {
    std::unique_lock lock(mutex);
    if (!changed.wait_for(lock, timeout, [&] { return !seen.empty(); })) return std::nullopt;
    Seen first = seen.front();
    seen.erase(seen.begin());
    return first;
  }
  static bool exists(pid_t pid) { return fs::exists("/proc/" + std::to_string(pid)); }
};

TEST_F(ExitWatcherTest, ReportsTheExitCodeOfItsChildAndLeavesNoZombie) {
  auto p = spawn("sleep 0.2; exit 3");
  watcher->watch("vm-a", p);
  EXPECT_EQ(watcher->watched(), 1u);
  auto got = next();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->vm_id, "vm-a");
  EXPECT_EQ(got->process, p);
  EXPECT_EQ(got->exit.how, VmmExit::How::exited);
  EXPECT_EQ(got->exit.value, 3);
  EXPECT_FALSE(exists(p.pid)) << "reaped";
  EXPECT_EQ(watcher->watched(), 0u);
}

TEST_F(ExitWatcherTest, ReportsTheSignalThatKilledIt) {
  auto p = spawn("sleep 30");
  watcher->watch("vm-b", p);
  ASSERT_EQ(kill(p.pid, SIGKILL), 0);
  auto got = next();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->exit.how, VmmExit::How::signalled);
  EXPECT_EQ(got->exit.value, SIGKILL);
}

TEST_F(ExitWatcherTest, UnwatchedChildIsStillReapedButNotReported) {
  auto p = spawn("sleep 30");
  watcher->watch("vm-c", p);
  watcher->unwatch("vm-c");
  ASSERT_EQ(kill(p.pid, SIGKILL), 0);
  EXPECT_FALSE(next(300ms)) << "an exit nobody watches is nobody's news";
  auto deadline = std::chrono::steady_clock::now() + 2s;
  while (exists(p.pid) && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(exists(p.pid)) << "no zombie left";
}

TEST_F(ExitWatcherTest, AProcessThatIsNotTheVmmIsReportedGoneAtOnce) {
  auto p = spawn("sleep 30");
  watcher->watch("vm-d", {p.pid, p.start_time + 1});  // a reused pid
  auto got = next();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->exit.how, VmmExit::How::unknown);
  EXPECT_EQ(watcher->watched(), 0u);
  kill(p.pid, SIGKILL);
}

TEST_F(ExitWatcherTest, NotOurChildIsStillNoticedWithoutAStatus) {
  subreaper(false);  // as for a VMM adopted after a restart: it belongs to init
  auto p = spawn("sleep 30");
  subreaper(true);
  watcher->watch("vm-e", p);
  ASSERT_EQ(kill(p.pid, SIGKILL), 0);
  auto got = next();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->vm_id, "vm-e");
  EXPECT_EQ(got->exit.how, VmmExit::How::unknown);
}

}  // namespace
}  // namespace banger
