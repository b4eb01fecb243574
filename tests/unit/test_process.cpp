#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

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

// Forces the next fork to take `pid` (root only: /proc/sys/kernel/ns_last_pid).
// Other processes fork meanwhile, so it tries a few times; 0 when it did not get it.
pid_t fork_child_with_pid(pid_t pid, int exit_code) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    {
      std::ofstream last("/proc/sys/kernel/ns_last_pid");
      if (!(last << pid - 1 << std::flush)) return 0;
    }
    pid_t child = fork();
    if (child == 0) _exit(exit_code);
    if (child == pid) return child;
    waitpid(child, nullptr, 0);
  }
  return 0;
}

// bangerd reaps its VMMs from the SIGCHLD handler and through pidfds, and
// waits for its tools (mkfs, ip) itself. A VMM reaped elsewhere once left its
// pid registered, and the next child to reuse that pid (pid_max is 32768 on
// Debian) had its exit status taken away from whoever was waiting for it.
TEST_F(Process, ReapingNeverTakesAChildThatReusedTheFormerPidOfASpawnedOne) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to choose a pid";
  auto p = spawn_detached({"/bin/true"}, log);
  ASSERT_EQ(waitpid(p.pid, nullptr, 0), p.pid);  // reaped elsewhere, as by a pidfd
  pid_t other = fork_child_with_pid(p.pid, 7);
  if (other == 0) GTEST_SKIP() << "the kernel gave pid " << p.pid << " to someone else";
  siginfo_t info{};
  ASSERT_EQ(waitid(P_PID, other, &info, WEXITED | WNOWAIT), 0);  // it has exited
  bool reported = false;
  reap_spawned_children([&](pid_t pid, const siginfo_t&) { reported = reported || pid == other; });
  EXPECT_FALSE(reported) << "the child with the reused pid was taken for the spawned one";
  int status = 0;
  ASSERT_EQ(waitpid(other, &status, 0), other) << "the reaper took a child that is not a spawned one";
  EXPECT_EQ(WEXITSTATUS(status), 7);
}

// bangerd's exit watcher reaps on every SIGCHLD; a VMM that exits at once
// (a bad argument) used to be reaped before its start time was read, and the
// spawn failed with "exited at once" instead of reporting the exit.
TEST_F(Process, AChildThatExitsAtOnceStillHasItsIdentity) {
  std::atomic<bool> done{false};
  std::thread reaper([&] {
    while (!done) reap_spawned_children([](pid_t, const siginfo_t&) {});
  });
  int failures = 0;
  for (int i = 0; i < 200; ++i) {
    try {
      auto p = spawn_detached({"/bin/true"}, log);
      EXPECT_GT(p.start_time, 0u);
    } catch (const std::exception&) {
      ++failures;
    }
  }
  done = true;
  reaper.join();
  EXPECT_EQ(failures, 0) << "spawns that lost their child to the reaper";
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

// Issue 17, finding 3: a VMM spawned as a user of its own runs with that
// uid, gid and groups, no capability in any set (bounding included), with
// no_new_privs, in a session of its own, and holds the passed descriptors as
// 3, 4, … and no other descriptor of the daemon.
TEST_F(Process, SpawnedAsAUserHasNoPrivilegesAndOnlyThePassedDescriptors) {
  if (geteuid() != 0) GTEST_SKIP() << "changing uids needs root";
  const auto passed = log.string() + ".passed";
  std::ofstream(passed) << "passed-file-content\n";
  const int fd = ::open(passed.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const int stray = ::open("/dev/null", O_RDONLY);  // not close-on-exec, and not passed
  SpawnAs as{VmmUser{65533, 65532, {65531}}, {fd}};
  auto p = spawn_detached({"/bin/sh", "-c",
                           "grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status;"
                           // No pipeline: the shell would hold its pipe's descriptors while ls reads its list.
                           "cat <&3; ls -m /proc/$$/fd"},
                          log, &as);
  ::close(fd);
  ::close(stray);
  EXPECT_NE(getsid(p.pid), getsid(0));
  ASSERT_TRUE(wait_gone(p, 5s));
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  const std::string out = text.str();
  for (const char* expected : {"Uid:\t65533\t65533\t65533\t65533\n", "Gid:\t65532\t65532\t65532\t65532\n",
                               "Groups:\t65531 \n", "CapInh:\t0000000000000000\n", "CapPrm:\t0000000000000000\n",
                               "CapEff:\t0000000000000000\n", "CapBnd:\t0000000000000000\n",
                               "CapAmb:\t0000000000000000\n", "NoNewPrivs:\t1\n", "passed-file-content\n",
                               "0, 1, 2, 3\n"})
    EXPECT_NE(out.find(expected), std::string::npos) << expected << " in:\n" << out;
  std::filesystem::remove(passed);
}

TEST_F(Process, SpawningAsAUserReportsAProgramThatCannotRun) {
  if (geteuid() != 0) GTEST_SKIP() << "changing uids needs root";
  SpawnAs as{VmmUser{65533, 65532, {}}, {}};
  EXPECT_THROW(spawn_detached({"/nonexistent/vmm"}, log, &as), std::exception);
}

TEST_F(Process, MissingBinaryFailsOrExitsAtOnce) {
  try {
    auto p = spawn_detached({"/nonexistent/vmm"}, log);
    EXPECT_TRUE(wait_gone(p, 5s));
  } catch (const std::exception&) {
    SUCCEED();
  }
}

TEST_F(Process, CommandLineMentionsSeesTheArgumentsBehindAnInterpreter) {
  // A shebang script as the binary: the kernel puts its interpreter in front.
  const auto script = std::filesystem::temp_directory_path() / ("banger-wrapper-" + std::to_string(getpid()));
  std::ofstream(script) << "#!/bin/sh\nwhile :; do sleep 0.05; done\n";
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  auto p = spawn_detached({script.string(), "--api-sock", "/run/banger/vms/abc/firecracker.sock"}, log);
  // posix_spawn returns once the exec is past its point of no return, a moment
  // before the new command line is in place.
  for (int tries = 0; process_argv0(p.pid).empty() && tries < 500; ++tries) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(process_argv0(p.pid), "/bin/sh");
  EXPECT_TRUE(command_line_mentions(p.pid, "/run/banger/vms/abc/"));
  EXPECT_TRUE(command_line_mentions(p.pid, script.string()));
  EXPECT_FALSE(command_line_mentions(p.pid, "/run/banger/vms/abd/"));
  terminate(p, 1s);
  waitpid(p.pid, nullptr, 0);
  EXPECT_FALSE(command_line_mentions(p.pid, "/run/banger/vms/abc/")) << "a process that is gone mentions nothing";
  std::filesystem::remove(script);
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

// The uid (real and effective) /proc/<pid>/status gives, waited for up to 5 s to become
// `uid` (setpriv changes it just before it execs what it runs).
bool wait_uid(pid_t pid, uid_t uid) {
  const std::string want = "Uid:\t" + std::to_string(uid) + "\t" + std::to_string(uid) + "\t";
  for (int i = 0; i < 500; ++i) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);)
      if (line.rfind(want, 0) == 0) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

// Issue 17, finding 10: the sweep killed any terminal-less session leader of any uid
// whose command line named the runtime dir. Another user's process (nobody here) that
// names a VM's path is no VMM of banger's: it survives.
TEST_F(Process, TheSweepSparesAnotherUsersProcessThatNamesTheRuntimeDir) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to run a process as another user";
  const std::filesystem::path runtime =
      std::filesystem::temp_directory_path() / ("banger-foreign-" + std::to_string(getpid()));
  const std::string script = "while :; do sleep 0.05; done";
  auto foreign = spawn_detached({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/bin/sh",
                                 "-c", script, "vmm", (runtime / "vms/a/api.sock").string()},
                                log);
  ASSERT_TRUE(wait_uid(foreign.pid, 65534));
  EXPECT_EQ(kill_unrecorded_vmms(runtime, {}), 0);
  EXPECT_TRUE(is_running(foreign));
  terminate(foreign, 1s);
}

// A VMM of the per-VM uid range is banger's: the sweep ends it when told the range.
TEST_F(Process, TheSweepEndsAnUnrecordedVmmOfTheVmmUidRange) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to run a process as another user";
  const std::filesystem::path runtime =
      std::filesystem::temp_directory_path() / ("banger-ranged-" + std::to_string(getpid()));
  const std::string script = "while :; do sleep 0.05; done";
  auto vmm = spawn_detached({"/usr/bin/setpriv", "--reuid=900001", "--regid=900001", "--clear-groups", "/bin/sh", "-c",
                             script, "vmm", (runtime / "vms/a/api.sock").string()},
                            log);
  ASSERT_TRUE(wait_uid(vmm.pid, 900001));
  EXPECT_EQ(kill_unrecorded_vmms(runtime, {}), 0) << "root only, as without a range";
  EXPECT_EQ(kill_unrecorded_vmms(runtime, {}, VmmUids{900000, 64}), 1);
  EXPECT_TRUE(wait_gone(vmm, 5s));
  EXPECT_FALSE(VmmUids({900000, 64}).includes(900064));
  EXPECT_TRUE(VmmUids({900000, 64}).includes(0));
}

// An unjailed Firecracker of a VM's own uid names no path: its VM's id, a whole argument, marks it.
TEST_F(Process, TheSweepKnowsAnUnprivilegedVmmByItsVmsIdButNeverARootOne) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to run a process as another user";
  const std::filesystem::path runtime =
      std::filesystem::temp_directory_path() / ("banger-by-id-" + std::to_string(getpid()));
  const std::string id = "0123456789abcdef0123456789abcdef";
  const std::string script = "while :; do sleep 0.05; done";
  auto vmm = spawn_detached({"/usr/bin/setpriv", "--reuid=900002", "--regid=900002", "--clear-groups", "/bin/sh", "-c",
                             script, "vmm", "--id", id},
                            log);
  auto root_one = spawn_detached({"/bin/sh", "-c", script, "vmm", "--id", id}, log);
  ASSERT_TRUE(wait_uid(vmm.pid, 900002));
  EXPECT_EQ(kill_unrecorded_vmms(runtime, {root_one}, VmmUids{900000, 64}, {id + "0"}), 0) << "only the whole id";
  EXPECT_EQ(kill_unrecorded_vmms(runtime, {root_one}, VmmUids{900000, 64}, {"ffff", id}), 1);
  EXPECT_TRUE(wait_gone(vmm, 5s));
  EXPECT_EQ(kill_unrecorded_vmms(runtime, {}, VmmUids{900000, 64}, {id}), 0) << "root's needs the runtime dir";
  EXPECT_TRUE(is_running(root_one));
  terminate(root_one, 1s);
}

}  // namespace
}  // namespace banger
