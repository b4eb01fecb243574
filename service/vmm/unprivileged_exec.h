#pragma once
#include <sys/types.h>

#include <signal.h>

#include <vector>

namespace banger {

// Whom a VMM runs as instead of root (issue 17, finding 3): a device-model
// escape then lands in a process of a uid owning nothing but what its VM was
// handed (its tap; its disks and sockets come as descriptors), with no
// capability and no way to regain one.
struct VmmUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary: at most the group owning /dev/kvm
};

// Everything the child of unprivileged_exec() does, prepared by the parent:
// the child runs on a stack of its own in the parent's memory (CLONE_VM) and
// so must allocate nothing and call no libc function that takes a lock or is
// intercepted by a sanitizer; it only makes system calls.
struct UnprivilegedExec {
  char* const* argv = nullptr;  // argv[0] is the path executed
  char* const* envp = nullptr;
  const char* stdin_path = nullptr;  // opened read-only, or with stdin_is_tty read-write and O_NOCTTY
  bool stdin_is_tty = false;         // stdout is then the same file as stdin
  const char* log_path = nullptr;    // appended to: stderr, and stdout unless stdin_is_tty
  const int* passed_fds = nullptr;   // become the child's descriptors 3, 4, … in this order
  int passed_count = 0;
  VmmUser user;
  const gid_t* groups = nullptr;  // user.groups, as an array
  int group_count = 0;
  sigset_t blocked;  // the child's signal mask once it runs the program
};

// Starts `exec.argv` in a session of its own as `exec.user`, no_new_privs
// set, and after setresuid() from root no capability left in the permitted,
// effective, ambient and inheritable sets (no PR_SET_KEEPCAPS); the bounding
// set is emptied too where bangerd has CAP_SETPCAP (bangerd.service does not
// grant it: the unit's bounding set stays, out of reach with no_new_privs). posix_spawn cannot change
// uids, fork would copy the daemon's page tables: a vfork-like clone() whose
// child only makes system calls, as glibc's posix_spawn does. Returns the
// pid, or -1 with errno telling why the child could not exec (it is reaped then).
pid_t unprivileged_exec(const UnprivilegedExec& exec);

}  // namespace banger
