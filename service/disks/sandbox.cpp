#include "disks/sandbox.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/log.h"
#include "disks/tool.h"

namespace banger::disks {

namespace {

// A sanitizer build (the CI's asan phase) runs banger-diskfs instrumented:
// LeakSanitizer stops the world with ptrace and reads its options from the
// environment, so such builds leave ptrace and personality allowed and pass the
// sanitizers' variables on. Release builds have neither.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool sanitizer_build = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool sanitizer_build = true;
#else
constexpr bool sanitizer_build = false;
#endif
#else
constexpr bool sanitizer_build = false;
#endif

struct SeccompDeleter {
  void operator()(void* ctx) const noexcept { seccomp_release(ctx); }
};

// The filter as BPF, made in the parent: the child, forked from a threaded
// daemon, then only makes system calls until it execs.
std::vector<sock_filter> seccomp_program() {
  std::unique_ptr<void, SeccompDeleter> ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) throw Error(ErrorKind::internal, "libseccomp cannot make a filter");
  // A denylist: e2fsprogs and libext2fs need ordinary file, memory and time
  // calls, which an allowlist would have to follow across versions.
  const int refused[] = {
      SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(pivot_root), SCMP_SYS(chroot), SCMP_SYS(move_mount),
      SCMP_SYS(open_tree), SCMP_SYS(fsopen), SCMP_SYS(fsmount), SCMP_SYS(fsconfig), SCMP_SYS(fspick),
      SCMP_SYS(mount_setattr), SCMP_SYS(unshare), SCMP_SYS(setns), SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv),
      SCMP_SYS(process_vm_writev), SCMP_SYS(kexec_load), SCMP_SYS(kexec_file_load), SCMP_SYS(init_module),
      SCMP_SYS(finit_module), SCMP_SYS(delete_module), SCMP_SYS(bpf), SCMP_SYS(perf_event_open),
      SCMP_SYS(keyctl), SCMP_SYS(add_key), SCMP_SYS(request_key), SCMP_SYS(userfaultfd),
      SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter), SCMP_SYS(io_uring_register), SCMP_SYS(swapon),
      SCMP_SYS(swapoff), SCMP_SYS(reboot), SCMP_SYS(open_by_handle_at), SCMP_SYS(name_to_handle_at),
      SCMP_SYS(acct), SCMP_SYS(quotactl), SCMP_SYS(settimeofday), SCMP_SYS(clock_settime),
      SCMP_SYS(clock_adjtime), SCMP_SYS(adjtimex), SCMP_SYS(sethostname), SCMP_SYS(setdomainname),
      SCMP_SYS(iopl), SCMP_SYS(ioperm), SCMP_SYS(personality), SCMP_SYS(pidfd_getfd),
      // System V and POSIX IPC: nothing shared with the host's other processes.
      SCMP_SYS(shmget), SCMP_SYS(shmat), SCMP_SYS(shmctl), SCMP_SYS(semget), SCMP_SYS(semop),
      SCMP_SYS(semtimedop), SCMP_SYS(semctl), SCMP_SYS(msgget), SCMP_SYS(msgsnd), SCMP_SYS(msgrcv),
      SCMP_SYS(msgctl), SCMP_SYS(mq_open), SCMP_SYS(mq_unlink),
  };
  for (int call : refused) {
    if (sanitizer_build && (call == SCMP_SYS(ptrace) || call == SCMP_SYS(personality))) continue;
    if (seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(EPERM), call, 0) != 0)
      throw Error(ErrorKind::internal, fmt::format("libseccomp refuses a rule for system call {}", call));
  }
  // Sockets: AF_UNIX only (no network even if a namespace leaked one).
  if (seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                       SCMP_A0(SCMP_CMP_NE, AF_UNIX)) != 0)
    throw Error(ErrorKind::internal, "libseccomp refuses the socket rule");
  // No new namespaces through clone; clone3's flags are out of a filter's reach,
  // so it reports ENOSYS and glibc falls back to clone.
  const scmp_datum_t namespace_flags[] = {CLONE_NEWUSER, CLONE_NEWNS,  CLONE_NEWNET,    CLONE_NEWPID,
                                          CLONE_NEWIPC,  CLONE_NEWUTS, CLONE_NEWCGROUP, CLONE_NEWTIME};
  for (scmp_datum_t flag : namespace_flags)
    if (seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                         SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag)) != 0)
      throw Error(ErrorKind::internal, "libseccomp refuses the clone rule");
  if (seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) != 0)
    throw Error(ErrorKind::internal, "libseccomp refuses the clone3 rule");

  const int memory = memfd_create("banger-seccomp", MFD_CLOEXEC);
  if (memory < 0) throw Error(ErrorKind::backend_failed, fmt::format("memfd_create: {}", strerror(errno)));
  std::vector<sock_filter> program;
  if (seccomp_export_bpf(ctx.get(), memory) == 0) {
    const off_t size = lseek(memory, 0, SEEK_END);
    program.resize(static_cast<std::size_t>(size) / sizeof(sock_filter));
    if (pread(memory, program.data(), program.size() * sizeof(sock_filter), 0) != size) program.clear();
  }
  close(memory);
  if (program.empty()) throw Error(ErrorKind::internal, "libseccomp cannot export the filter");
  return program;
}

std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/sbin:/usr/bin:/sbin:/bin";
  while (!dirs.empty()) {
    const auto colon = dirs.find(':');
    const std::string candidate = fmt::format("{}/{}", dirs.substr(0, colon), name);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  throw Error(ErrorKind::backend_failed, fmt::format("cannot run {}: not found on PATH", name));
}

// What the child reports when it cannot reach exec: the step and its errno.
struct ChildFailure {
  char step[32];
  int error;
};

[[noreturn]] void child_fails(int report, const char* step) {
  ChildFailure failure{};
  std::strncpy(failure.step, step, sizeof failure.step - 1);
  failure.error = errno;
  [[maybe_unused]] auto ignored = write(report, &failure, sizeof failure);
  _exit(127);
}

// After fork: system calls only (async-signal-safe), then exec.
[[noreturn]] void become_sandboxed(const char* program, char* const* argv, char* const* envp,
                                   const std::vector<int>& fds, int report, const Sandbox& sandbox,
                                   const sock_fprog& filter, pid_t parent) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int s = 1; s < NSIG; ++s) signal(s, SIG_DFL);
  // Only lo (bangerd.service's RestrictNamespaces allows net; IPC with the host is the filter's to refuse).
  if (unshare(CLONE_NEWNET) != 0) child_fails(report, "unshare");
  // The descriptors: first out of the way (above all targets), then into place.
  const int count = static_cast<int>(fds.size());
  const int high = count + 64;
  int moved[64];
  if (count > 60) child_fails(report, "too many descriptors");
  for (int i = 0; i < count; ++i) {
    const int from = fds[static_cast<std::size_t>(i)] >= 0 ? fds[static_cast<std::size_t>(i)]
                                                           : open("/dev/null", O_RDWR | O_CLOEXEC);
    moved[i] = fcntl(from, F_DUPFD_CLOEXEC, high);
    if (moved[i] < 0) child_fails(report, "moving descriptors");
  }
  const int report_moved = fcntl(report, F_DUPFD_CLOEXEC, high);
  if (report_moved < 0) child_fails(report, "moving descriptors");
  report = report_moved;
  for (int i = 0; i < count; ++i)
    if (dup2(moved[i], i) != i) child_fails(report, "dup2");
  if (dup2(report, count) != count || fcntl(count, F_SETFD, FD_CLOEXEC) != 0) child_fails(report, "dup2");
  report = count;
  if (close_range(static_cast<unsigned>(count) + 1, ~0U, 0) != 0) child_fails(report, "close_range");
  if (chdir("/") != 0) child_fails(report, "chdir");
  // An empty bounding set where bangerd may (CAP_SETPCAP; bangerd.service leaves
  // it out): belt and braces, as a non-root uid with no_new_privs gains no
  // capability from exec anyway.
  for (int cap = 0; cap < 64; ++cap)
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL && errno != EPERM)
      child_fails(report, "dropping capabilities");
  if (setgroups(0, nullptr) != 0) child_fails(report, "setgroups");
  if (setresgid(sandbox.gid, sandbox.gid, sandbox.gid) != 0) child_fails(report, "setresgid");
  if (setresuid(sandbox.uid, sandbox.uid, sandbox.uid) != 0) child_fails(report, "setresuid");
  // Set after the uid changed (which clears it): the child dies with the thread that waits for it.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) child_fails(report, "PR_SET_PDEATHSIG");
  if (getppid() != parent) _exit(127);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) child_fails(report, "no_new_privs");
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter) != 0) child_fails(report, "seccomp");
  execve(program, argv, envp);
  child_fails(report, "exec");
}

}  // namespace

const Sandbox& Sandbox::standard() {
  static const Sandbox identity = [] {
    Sandbox found;
    passwd entry{};
    passwd* user = nullptr;
    std::vector<char> buffer(16384);
    if (getpwnam_r("banger-disks", &entry, buffer.data(), buffer.size(), &user) == 0 && user != nullptr &&
        user->pw_uid != 0 && user->pw_gid != 0) {
      found.uid = user->pw_uid;
      found.gid = user->pw_gid;
    }
    return found;
  }();
  return identity;
}

pid_t spawn_sandboxed(const std::vector<std::string>& argv, const std::vector<int>& fds, const Sandbox& sandbox) {
  if (argv.empty()) throw Error(ErrorKind::internal, "spawn_sandboxed: no program");
  if (sandbox.uid == 0 || sandbox.gid == 0)
    throw Error(ErrorKind::invalid_args, "the sandbox's uid and gid must not be root's");
  const std::string program = find_program(argv[0]);
  auto filter_code = seccomp_program();
  const sock_fprog filter{static_cast<unsigned short>(filter_code.size()), filter_code.data()};
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // A fixed, small environment: nothing of the daemon's reaches the sandbox.
  std::vector<std::string> environment{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"};
  if (sanitizer_build)
    for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"})
      if (const char* value = std::getenv(name); value != nullptr) environment.push_back(fmt::format("{}={}", name, value));
  std::vector<char*> envp;
  for (auto& variable : environment) envp.push_back(variable.data());
  envp.push_back(nullptr);
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) throw Error(ErrorKind::backend_failed, fmt::format("pipe: {}", strerror(errno)));
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    const int error = errno;
    close(report[0]);
    close(report[1]);
    throw Error(ErrorKind::backend_failed, fmt::format("cannot fork for {}: {}", argv[0], strerror(error)));
  }
  if (pid == 0) become_sandboxed(program.c_str(), args.data(), envp.data(), fds, report[1], sandbox, filter, parent);
  close(report[1]);
  ChildFailure failure{};
  ssize_t got;
  while ((got = read(report[0], &failure, sizeof failure)) < 0 && errno == EINTR) {
  }
  close(report[0]);
  if (got == static_cast<ssize_t>(sizeof failure)) {
    wait_for_sandboxed(pid);
    failure.step[sizeof failure.step - 1] = '\0';
    throw Error(ErrorKind::backend_failed, fmt::format("cannot start {} in the sandbox ({}): {}", argv[0],
                                                       failure.step, strerror(failure.error)));
  }
  return pid;
}

int wait_for_sandboxed(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return status;
  }
  return status;
}

namespace {

// Runs `argv` with stdin /dev/null, stdout and stderr collected, and `extra` as descriptors 3, 4, ...
std::string run_collecting(const std::vector<std::string>& argv, const std::vector<int>& extra,
                           const Sandbox& sandbox) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw Error(ErrorKind::backend_failed, fmt::format("pipe: {}", strerror(errno)));
  std::vector<int> fds{-1, out[1], out[1]};
  fds.insert(fds.end(), extra.begin(), extra.end());
  pid_t pid = 0;
  try {
    pid = spawn_sandboxed(argv, fds, sandbox);
  } catch (...) {
    close(out[0]);
    close(out[1]);
    throw;
  }
  close(out[1]);
  const std::string output = read_tool_output(out[0]);
  close(out[0]);
  const int status = wait_for_sandboxed(pid);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fail_tool(argv[0], status, output);
  return output;
}

}  // namespace

std::string run_sandboxed(const std::vector<std::string>& argv, const Sandbox& sandbox) {
  return run_collecting(argv, {}, sandbox);
}

LentImage::LentImage(const std::filesystem::path& image, const Sandbox& sandbox) : path_(image) {
  fd_ = open(image.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (fd_ < 0)
    throw Error(ErrorKind::backend_failed, fmt::format("cannot open {}: {}", image.string(), strerror(errno)));
  struct stat st {};
  if (fstat(fd_, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
    close(fd_);
    throw Error(ErrorKind::backend_failed, fmt::format("{} is not a disk image or block device", image.string()));
  }
  uid_ = st.st_uid;
  gid_ = st.st_gid;
  mode_ = st.st_mode & 07777;
  if (uid_ == sandbox.uid) {
    // A lend that never came back (bangerd died meanwhile): the sandbox's
    // user owns nothing for good, so the image goes back to root.
    log::warn("{} was still lent to the disk sandbox; it goes back to root", image.string());
    uid_ = 0;
    gid_ = 0;
    mode_ = 0600;
  }
  if (fchown(fd_, sandbox.uid, sandbox.gid) != 0 || fchmod(fd_, 0600) != 0) {
    const int error = errno;
    if (fchown(fd_, uid_, gid_) != 0) log::warn("cannot give {} back its owner: {}", image.string(), strerror(errno));
    close(fd_);
    throw Error(ErrorKind::backend_failed,
                fmt::format("cannot lend {} to the sandbox: {}", image.string(), strerror(error)));
  }
}

LentImage::~LentImage() {
  // chown first: it would clear set-id bits that chmod then puts back.
  if (fchown(fd_, uid_, gid_) != 0 || fchmod(fd_, mode_) != 0)
    log::warn("cannot give {} back its owner and mode: {}", path_.string(), strerror(errno));
  close(fd_);
}

void run_tool_on_image(std::vector<std::string> argv, const std::filesystem::path& image, const Sandbox& sandbox,
                       const std::vector<int>& more_fds) {
  LentImage lent(image, sandbox);
  for (auto& arg : argv)
    if (arg == "{image}") arg = "/proc/self/fd/3";
  std::vector<int> fds{lent.fd()};
  fds.insert(fds.end(), more_fds.begin(), more_fds.end());
  run_collecting(argv, fds, sandbox);
}

}  // namespace banger::disks
