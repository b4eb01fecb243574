#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <vector>

#include "vmm/exit_watcher.h"
#include "vmm/process.h"

namespace banger {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// The watcher as bangerd runs it: SIGCHLD blocked (before its thread starts).
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
    watcher = std::make_unique<ExitWatcher>();
    watcher->start([this](const std::string& id, const VmmProcess& p, const VmmExit& e) {
      std::lock_guard lock(mutex);
      seen.push_back({id, p, e});
      changed.notify_all();
    });
  }
  void TearDown() override {
    watcher.reset();
    pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    fs::remove(log);
  }

  VmmProcess spawn(const std::string& script) {
    auto p = spawn_detached({"/bin/sh", "-c", script}, log);
    return {p.pid, p.start_time};
  }
  std::optional<Seen> next(std::chrono::milliseconds timeout = 10s) {  // generous: ASan runs beside other suites
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
  // As for a VMM adopted after a restart: a shell starts it and exits, so it belongs to init.
  FILE* shell = popen("sleep 30 >/dev/null 2>&1 & echo $!", "r");
  ASSERT_NE(shell, nullptr);
  pid_t pid = 0;
  ASSERT_EQ(fscanf(shell, "%d", &pid), 1);
  pclose(shell);
  auto start = process_start_time(pid);
  ASSERT_TRUE(start);
  watcher->watch("vm-e", {pid, *start});
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  auto got = next();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->vm_id, "vm-e");
  EXPECT_EQ(got->exit.how, VmmExit::How::unknown);
}

TEST_F(ExitWatcherTest, LeavesOtherChildrenOfTheDaemonToWhoeverWaitsForThem) {
  pid_t other = fork();
  ASSERT_GE(other, 0);
  if (other == 0) _exit(7);
  auto vmm = spawn("exit 0");  // its SIGCHLD wakes the watcher too
  watcher->watch("vm-f", vmm);
  ASSERT_TRUE(next());
  std::this_thread::sleep_for(100ms);  // the watcher had every chance to take the other child
  int status = 0;
  ASSERT_EQ(waitpid(other, &status, 0), other) << "the watcher reaped a child that is not a VMM";
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 7);
}

}  // namespace
}  // namespace banger
