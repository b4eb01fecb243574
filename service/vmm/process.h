#pragma once
#include <sys/types.h>

#include <signal.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vmm/unprivileged_exec.h"

namespace banger {

// A process identified by pid and kernel start time, so that a reused pid is
// never mistaken for the VMM banger launched.
struct ProcessId {
  pid_t pid = 0;
  std::uint64_t start_time = 0;  // /proc/<pid>/stat field 22, clock ticks since boot
};

// Starts argv[0] detached: posix_spawn (vfork-fast: no copy of the daemon's
// page tables) into its own session, stdin from /dev/null, stdout/stderr
// appended to `log_file`, no inherited descriptors, no signal blocked but
// machined_poweroff_signal() (core/poweroff_requests.h says why). It is
// our child while bangerd runs (so its exit status is known) and is inherited
// by init when bangerd goes; it outlives bangerd either way. Its pid is
// remembered so that reap_spawned_children() collects it. Throws
// Error(backend_failed).
//
// With `as` a user, the process runs as that user (unprivileged_exec.h: no
// capabilities, no_new_privs) and gets `as->passed_fds` as its descriptors 3,
// 4, … in that order; the log and tty are still opened as bangerd.
struct SpawnAs {
  VmmUser user;
  std::vector<int> passed_fds;
};
ProcessId spawn_detached(const std::vector<std::string>& argv, const std::filesystem::path& log_file,
                         const SpawnAs* as = nullptr);
// The same, with stdin and stdout on `console_tty` (a VM's serial console, a
// pty slave; opened O_NOCTTY, so it never becomes the process's controlling
// terminal and a hangup can never signal it) and stderr appended to `log_file`.
ProcessId spawn_detached_on_tty(const std::vector<std::string>& argv, const std::filesystem::path& console_tty,
                                const std::filesystem::path& log_file, const SpawnAs* as = nullptr);

// SIGRTMIN+4, which machined sends a machine's leader for `machinectl poweroff`.
int machined_poweroff_signal();
// Whether `signo` waits, blocked, at process `pid` (/proc/<pid>/status); false when it is gone.
bool signal_pending(pid_t pid, int signo);

// Reaps the spawn_detached() children that have exited, and only those (other
// code of the daemon may wait for children of its own), calling `exited` with
// each one's pid and status first. A spawned child reaped elsewhere (through a
// pidfd) is forgotten, never confused with a later child given the same pid.
void reap_spawned_children(const std::function<void(pid_t, const siginfo_t&)>& exited);

std::optional<std::uint64_t> process_start_time(pid_t pid);
// argv[0] of a running process (/proc/<pid>/cmdline), empty when it is gone.
std::string process_argv0(pid_t pid);
// The whole command line of a process, empty when it is gone.
std::vector<std::string> process_cmdline(pid_t pid);
// Whether any argument of the process's command line contains `needle`; false
// when it is gone. With is_running() what identifies a VMM that banger
// launched: the arguments banger gave stay whatever runs them, while argv[0]
// is the interpreter when the configured binary is a script.
bool command_line_mentions(pid_t pid, std::string_view needle);
// Alive, not a zombie, and the same process (start time matches).
bool is_running(const ProcessId& process);
// SIGTERM, wait up to `grace`, then SIGKILL and wait for it to vanish.
void terminate(const ProcessId& process, std::chrono::milliseconds grace);
// Waits up to `timeout` for the process to stop running; true when it did.
bool wait_gone(const ProcessId& process, std::chrono::milliseconds timeout);

// The uids banger's VMMs (and their console relays) run as: root, and the range
// VMMs get a uid of their own from ([firecracker] jailer_uid_base, jailer_uid_count).
struct VmmUids {
  uid_t range_first = 0;
  uid_t range_count = 0;
  bool includes(uid_t uid) const { return uid == 0 || (uid >= range_first && uid - range_first < range_count); }
};

// After a crash between launching a VMM and recording its handles, the VMM
// runs unrecorded. SIGKILLs every session leader without a controlling
// terminal (as spawn_detached starts VMMs; so never a user's `less` of a
// console log) whose real and effective uids are banger's (`vmm_uids`: a
// user's own process that merely names a VM's path is not banger's to end)
// and whose command line names a path under <runtime_dir>/vms/ (or, run as
// a VMM uid other than root, has one of `vm_ids` as a whole argument: an
// unjailed Firecracker of a VM's own uid is named by its --id, its paths being
// descriptors), except those in `keep`. The signal goes through a pidfd taken
// before those checks, so a pid reused meanwhile is never signalled. Returns how many.
int kill_unrecorded_vmms(const std::filesystem::path& runtime_dir, const std::vector<ProcessId>& keep,
                         const VmmUids& vmm_uids = {}, const std::vector<std::string>& vm_ids = {});

}  // namespace banger
