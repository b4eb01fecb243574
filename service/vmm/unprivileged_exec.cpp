#include "vmm/unprivileged_exec.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace banger {

namespace {

// The kernel's struct sigaction (x86_64 and aarch64): glibc's differs, and its
// sigaction() is a function sanitizers intercept.
struct KernelSigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)();
  unsigned long mask;
};

struct Child {
  const UnprivilegedExec* exec;
  int failed_errno;  // written by the child before it exits; the parent reads it after CLONE_VFORK resumes it
};

#define BANGER_NO_SANITIZE __attribute__((no_sanitize("address", "thread", "undefined")))

BANGER_NO_SANITIZE long sys(long number, long a = 0, long b = 0, long c = 0, long d = 0) {
  // The fifth and sixth arguments too: syscall() passes six whatever it is
  // given, and prctl(PR_SET_NO_NEW_PRIVS) fails with EINVAL unless its fifth is
  // 0 (it was whatever the caller left in a register: a VMM on a console tty failed to start).
  return syscall(number, a, b, c, d, 0L, 0L);
}

// Opens `path` at descriptor `target`.
BANGER_NO_SANITIZE bool open_at(const char* path, int flags, int target) {
  const long fd = sys(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path), flags | O_CLOEXEC, 0640);
  if (fd < 0) return false;
  if (fd == target) return sys(SYS_fcntl, fd, F_SETFD, 0) == 0;
  const bool moved = sys(SYS_dup2, fd, target) == target;  // dup2 clears FD_CLOEXEC on the copy
  sys(SYS_close, fd);
  return moved;
}

// Tells the parent why, and ends the child.
BANGER_NO_SANITIZE int failed(Child* child) {
  child->failed_errno = errno != 0 ? errno : EPERM;
  sys(SYS_exit_group, 127);
  return 127;
}

BANGER_NO_SANITIZE int child_main(void* arg) {
  auto* child = static_cast<Child*>(arg);
  const UnprivilegedExec& e = *child->exec;
  // Handlers are the daemon's code: none may run here. Caught signals turn
  // back to their default; so does SIGPIPE, which bangerd ignores and exec keeps ignored.
  for (int signo = 1; signo < 65; ++signo) {
    if (signo == SIGKILL || signo == SIGSTOP) continue;
    KernelSigaction old{};
    if (sys(SYS_rt_sigaction, signo, 0, reinterpret_cast<long>(&old), 8) != 0) continue;
    if (signo != SIGPIPE && (old.handler == SIG_DFL || old.handler == SIG_IGN)) continue;
    KernelSigaction dfl{};
    dfl.handler = SIG_DFL;
    sys(SYS_rt_sigaction, signo, reinterpret_cast<long>(&dfl), 0, 8);
  }
  if (sys(SYS_setsid) < 0) return failed(child);
  // The passed descriptors first go above 3 + count, so that putting them in
  // place never overwrites one not moved yet.
  int moved[64];
  const int count = e.passed_count < 64 ? e.passed_count : 64;
  for (int i = 0; i < count; ++i) {
    const long fd = sys(SYS_fcntl, e.passed_fds[i], F_DUPFD_CLOEXEC, 3 + count);
    if (fd < 0) return failed(child);
    moved[i] = static_cast<int>(fd);
  }
  if (e.stdin_is_tty) {
    // O_NOCTTY: after setsid() the tty would otherwise become the session's terminal.
    if (!open_at(e.stdin_path, O_RDWR | O_NOCTTY, STDIN_FILENO)) return failed(child);
    if (sys(SYS_dup2, STDIN_FILENO, STDOUT_FILENO) != STDOUT_FILENO) return failed(child);
    if (!open_at(e.log_path, O_WRONLY | O_CREAT | O_APPEND, STDERR_FILENO)) return failed(child);
  } else {
    if (!open_at(e.stdin_path, O_RDONLY, STDIN_FILENO)) return failed(child);
    if (!open_at(e.log_path, O_WRONLY | O_CREAT | O_APPEND, STDOUT_FILENO)) return failed(child);
    if (sys(SYS_dup2, STDOUT_FILENO, STDERR_FILENO) != STDERR_FILENO) return failed(child);
  }
  for (int i = 0; i < count; ++i)
    if (sys(SYS_dup2, moved[i], 3 + i) != 3 + i) return failed(child);
  // Every other descriptor of the daemon stays behind (the moved copies are close-on-exec).
  if (sys(SYS_close_range, 3 + count, ~0U, 0) != 0) return failed(child);

  // Nothing the daemon may do survives in the bounding set. Needs CAP_SETPCAP
  // (so before the uid changes); without it each drop fails harmlessly.
  for (int cap = 0; cap < 64; ++cap) sys(SYS_prctl, PR_CAPBSET_DROP, cap);
  if (sys(SYS_setgroups, e.group_count, reinterpret_cast<long>(e.groups)) != 0) return failed(child);
  if (sys(SYS_setresgid, e.user.gid, e.user.gid, e.user.gid) != 0) return failed(child);
  // From uid 0 to a non-zero real, effective and saved uid without
  // PR_SET_KEEPCAPS: the kernel clears the permitted, effective and ambient sets.
  if (sys(SYS_setresuid, e.user.uid, e.user.uid, e.user.uid) != 0) return failed(child);
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct none[2]{};
  if (sys(SYS_capset, reinterpret_cast<long>(&header), reinterpret_cast<long>(none)) != 0) return failed(child);
  // Neither a setuid binary nor file capabilities give any of it back.
  if (sys(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0) != 0) return failed(child);

  if (sys(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&e.blocked), 0, 8) != 0) return failed(child);
  sys(SYS_execve, reinterpret_cast<long>(e.argv[0]), reinterpret_cast<long>(e.argv), reinterpret_cast<long>(e.envp));
  return failed(child);
}

}  // namespace

pid_t unprivileged_exec(const UnprivilegedExec& exec) {
  constexpr std::size_t stack_size = 64 * 1024;
  void* stack = mmap(nullptr, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return -1;
  Child child{&exec, 0};
  // No handler of the daemon may run in the child before it resets them.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  // CLONE_VFORK: this thread waits until the child execs or exits, so its stack and `child` stay valid.
  const pid_t pid = clone(child_main, static_cast<char*>(stack) + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, &child);
  const int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  munmap(stack, stack_size);
  if (pid < 0) {
    errno = clone_errno;
    return -1;
  }
  if (child.failed_errno != 0) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    errno = child.failed_errno;
    return -1;
  }
  return pid;
}

}  // namespace banger
