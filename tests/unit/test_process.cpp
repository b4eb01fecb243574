#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "vmm/process.h"

namespace banger {
namespace {

using namespace std::chrono_literals;

struct Process : ::testing::Test {
  std::filesystem::path log = std::filesystem::temp_directory_path() / ("banger-process-" + std::to_string(getpid()));
  void TearDown() override { std::filesystem::remove(log); }
};

TEST_F(Process, SpawnedProcessIsDetachedAndRunning) {
  auto p = spawn_detached({"/bin/sleep", "30"}, log);
  EXPECT_TRUE(is_running(p));
  EXPECT_NE(getsid(p.pid), getsid(0));  // its own session: survives bangerd's
  EXPECT_NE(getppid(), p.pid);
  terminate(p, 1s);
  EXPECT_FALSE(is_running(p));
}

TEST_F(Process, WrongStartTimeIsNotTheSameProcess) {
  auto p = spawn_detached({"/bin/sleep", "30"}, log);
  ProcessId impostor{p.pid, p.start_time + 1};
  EXPECT_FALSE(is_running(impostor));
  terminate(p, 1s);
}

TEST_F(Process, TerminateEscalatesToSigkill) {
  // A shell that ignores SIGTERM.
  auto p = spawn_detached({"/bin/sh", "-c", "trap '' TERM; while :; do sleep 0.05; done"}, log);
  ASSERT_TRUE(wait_gone(p, 100ms) == false);
  terminate(p, 100ms);
  EXPECT_FALSE(is_running(p));
}

TEST_F(Process, OutputGoesToTheLog) {
  auto p = spawn_detached({"/bin/sh", "-c", "echo hello-from-vmm"}, log);
  ASSERT_TRUE(wait_gone(p, 5s));
  std::ifstream in(log);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "hello-from-vmm");
}

TEST_F(Process, MissingBinaryFailsOrExitsAtOnce) {
  try {
    auto p = spawn_detached({"/nonexistent/vmm"}, log);
    EXPECT_TRUE(wait_gone(p, 5s));
  } catch (const std::exception&) {
    SUCCEED();
  }
}

TEST_F(Process, UnrecordedVmmsOfTheRuntimeDirAreKilledAndRecordedOnesKept) {
  const std::filesystem::path runtime =
      std::filesystem::temp_directory_path() / ("banger-orphans-" + std::to_string(getpid()));
  const std::string script = "while :; do sleep 0.05; done";
  auto orphan = spawn_detached({"/bin/sh", "-c", script, "vmm", (runtime / "vms/a/api.sock").string()}, log);
  auto recorded = spawn_detached({"/bin/sh", "-c", script, "vmm", (runtime / "vms/b/api.sock").string()}, log);
  auto elsewhere = spawn_detached({"/bin/sh", "-c", script, "vmm", (runtime / "other/c").string()}, log);
  // A process of someone's session that names a VM's file (a log viewer, say) is no VMM.
  const std::string viewed = (runtime / "vms/d/console.log").string();
  pid_t viewer = fork();
  if (viewer == 0) {
    execl("/bin/sh", "sh", "-c", script.c_str(), "viewer", viewed.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_GT(viewer, 0);
  auto viewer_start = process_start_time(viewer);
  ASSERT_TRUE(viewer_start);
  EXPECT_EQ(kill_unrecorded_vmms(runtime, {recorded}), 1);
  EXPECT_TRUE(wait_gone(orphan, 5s));
  EXPECT_TRUE(is_running({viewer, *viewer_start}));
  kill(viewer, SIGKILL);
  waitpid(viewer, nullptr, 0);
  EXPECT_TRUE(is_running(recorded));
  EXPECT_TRUE(is_running(elsewhere));
  EXPECT_EQ(process_cmdline(recorded.pid),
            (std::vector<std::string>{"/bin/sh", "-c", script, "vmm", (runtime / "vms/b/api.sock").string()}));
  terminate(recorded, 1s);
  terminate(elsewhere, 1s);
}

}  // namespace
}  // namespace banger
