#pragma once
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace banger::disks {

// Where programs that read guest-written filesystems run (e2fsprogs, the
// workspace's banger-diskfs): a forked child in its own network namespace
// (only lo), as an unprivileged uid and gid with no supplementary groups, no
// capabilities (and an empty bounding set where bangerd may drop it),
// no_new_privs, and a seccomp filter that refuses mount, namespaces, ptrace,
// module and kexec calls, bpf, keyrings, System V and POSIX IPC and every
// socket but AF_UNIX. A crafted filesystem that takes over the
// parser then holds only what that uid holds and the descriptors it was given.
struct Sandbox {
  uid_t uid = 65534;
  gid_t gid = 65534;
  // The system user banger-disks (data/banger.sysusers), which nothing else
  // runs as; nobody (65534) where it is not installed (builds, tests).
  static const Sandbox& standard();
};

// Starts `argv` (argv[0] looked up on PATH by the parent) in the sandbox with
// `fds` as its descriptors 0, 1, 2, ... (-1: /dev/null) and nothing else open.
// Returns its pid, for wait_for_sandboxed. Error(backend_failed) when it cannot start.
pid_t spawn_sandboxed(const std::vector<std::string>& argv, const std::vector<int>& fds, const Sandbox& sandbox = Sandbox::standard());

// Waits for a spawned child; its wait status.
int wait_for_sandboxed(pid_t pid);

// Runs `argv` in the sandbox with no stdin and returns what it wrote to stdout
// and stderr. Error(backend_failed), like run_tool, when it exits non-zero.
std::string run_sandboxed(const std::vector<std::string>& argv, const Sandbox& sandbox = Sandbox::standard());

// Runs an e2fsprogs tool on an image or device the guest has written: the
// file is lent to the sandbox's uid (owner and mode restored after, whoever
// owned it) and reached as descriptor 3, so "{image}" in `argv` stands for
// /proc/self/fd/3 and the sandbox needs no way through the directories above it.
// `more_fds` become descriptors 4, 5, ... (files the tool reads or writes as
// /proc/self/fd/N: memfds, whose mode lets the sandbox's uid reopen them).
void run_tool_on_image(std::vector<std::string> argv, const std::filesystem::path& image,
                       const Sandbox& sandbox = Sandbox::standard(), const std::vector<int>& more_fds = {});

// The open image lent to the sandbox's uid for the life of this object. One
// still owned by that uid (bangerd died during a lend) is given back to root.
class LentImage {
 public:
  LentImage(const std::filesystem::path& image, const Sandbox& sandbox);
  ~LentImage();
  LentImage(const LentImage&) = delete;
  LentImage& operator=(const LentImage&) = delete;
  int fd() const { return fd_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  mode_t mode_ = 0;
};

}  // namespace banger::disks
