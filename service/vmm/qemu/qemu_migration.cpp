#include "vmm/qemu/qemu_migration.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/vmm_backend.h"
#include "core/unique_fd.h"
#include "core/utf8.h"
#include "doctor/command_output.h"
#include "vmm/qemu/qmp_client.h"
#include "vmm/qemu/qmp_messages.h"

namespace banger {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

namespace {

// The name the state's descriptor has in QEMU's monitor between "getfd" and
// the "fd:" URI that takes it (and closes it when the migration ends).
constexpr const char* fd_name = "banger-state";

[[noreturn]] void fail(const std::string& message) { throw Error(ErrorKind::backend_failed, "qemu: " + message); }

std::mutex versions_mutex;
std::map<std::string, std::string> versions;  // binary file identity -> first line of -version

// "model name" and a digest of "flags" of the first CPU in /proc/cpuinfo: what
// "-cpu host" gives the guest. A guest saved on one CPU (or a kernel that
// exposed other features) may use instructions the next one lacks.
std::string host_cpu() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, model, flags;
  while (std::getline(in, line) && (model.empty() || flags.empty())) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const auto value = line.substr(std::min(line.size(), colon + 2));
    if (model.empty() && line.rfind("model name", 0) == 0) model = value;
    if (flags.empty() && line.rfind("flags", 0) == 0) flags = value;
  }
  // FNV-1a: stable across builds (std::hash is not), short enough for one line.
  std::uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : flags) hash = (hash ^ c) * 1099511628211ULL;
  return fmt::format("{} (flags {:016x})", model.empty() ? "unknown" : model, hash);
}

// The current offset of `fd`. QEMU got a duplicate of it (SCM_RIGHTS shares the
// open file description), so this is how far QEMU has written or read.
off_t position(int fd) { return lseek(fd, 0, SEEK_CUR); }

// Polls `done` every few milliseconds until it returns true; throws when the
// VMM exits, or when `fd`'s position has not moved for `stall_timeout`.
template <typename Done>
void watch(int fd, const ProcessId& vmm, milliseconds stall_timeout, Done done) {
  off_t last = position(fd);
  auto moved = Clock::now();
  while (!done()) {
    if (!is_running(vmm)) fail("the VMM exited");
    if (off_t now = position(fd); now != last) {
      last = now;
      moved = Clock::now();
    } else if (Clock::now() - moved >= stall_timeout) {
      fail(fmt::format("no progress for {} s (stopped at byte {})",
                       std::chrono::duration_cast<std::chrono::seconds>(stall_timeout).count(), now));
    }
    // A 256 MiB guest saves in well under 0.1 s: a coarse poll would be most of it.
    std::this_thread::sleep_for(milliseconds(5));
  }
}

void sync_dir(const fs::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid() || fsync(fd.get()) != 0) fail(fmt::format("cannot sync {}: {}", dir.string(), std::strerror(errno)));
}

// What QEMU wrote to its log after byte `from`, lines joined with "; " and
// without QEMU's "qemu-system-x86_64: " prefix: why it could not load a state
// ("Not a migration stream; load of migration failed: Invalid argument").
std::string log_since(const fs::path& log, std::uintmax_t from) {
  std::ifstream in(log);
  in.seekg(static_cast<std::streamoff>(from));
  std::string line, text;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (auto colon = line.find(": "); colon != std::string::npos && line.compare(0, 4, "qemu") == 0 &&
                                      line.find(' ') > colon)
      line.erase(0, colon + 2);
    if (!text.empty()) text += "; ";
    text += line;
  }
  // A whole log is not a LastError: its end says why.
  if (text.size() > 1000) text = "…" + text.substr(text.size() - 1000);
  return valid_utf8(text);
}

}  // namespace

std::string qemu_version(const fs::path& binary) {
  struct stat st {};
  if (stat(binary.c_str(), &st) != 0)
    fail(fmt::format("no qemu binary at {}: {}", binary.string(), std::strerror(errno)));
  const auto key = fmt::format("{} {} {} {} {}", binary.string(), st.st_dev, st.st_ino, st.st_size,
                               st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec);
  {
    std::lock_guard lock(versions_mutex);
    if (auto it = versions.find(key); it != versions.end()) return it->second;
  }
  // "-version", as qemu_sandbox.cpp asks: one spelling for stand-ins to pass through.
  const auto run = doctor::command_output({binary.string(), "-version"}, std::chrono::seconds(10));
  const auto line = run.output.substr(0, run.output.find('\n'));
  if (!run.problem.empty() || run.exit_code != 0 || line.empty())
    fail(fmt::format("cannot ask {} for its version: {}", binary.string(),
                     !run.problem.empty() ? run.problem : valid_utf8(run.output.substr(0, 200))));
  std::lock_guard lock(versions_mutex);
  versions[key] = valid_utf8(line);
  return versions[key];
}

std::string qemu_saved_state_format(const fs::path& binary, const std::vector<std::string>& argv,
                                    const std::string& accel) {
  std::string format = qemu_version(binary);
  for (std::size_t i = 0; i + 1 < argv.size(); ++i) {
    const auto& option = argv[i];
    if (option == "-M" || option == "-smp" || option == "-m" || option == "-accel" || option == "-cpu" ||
        option == "-device")
      format += fmt::format("; {} {}", option, argv[++i]);
  }
  if (accel == "kvm") format += "; host cpu " + host_cpu();
  return format;
}

std::uint64_t save_qemu_state(QmpClient& qmp, const fs::path& dir, const ProcessId& vmm, milliseconds stall_timeout) {
  const fs::path path = dir / qemu_state_file;
  // Opened by bangerd (root), in a directory QEMU's uid cannot reach; QEMU gets
  // this descriptor only, write-only.
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid())
    fail(fmt::format("could not save the state: cannot create {}: {}", path.string(), std::strerror(errno)));
  bool migrating = false;
  try {
    // A running guest would go on changing its memory and disks while it is
    // saved: the caller pauses it first. "postmigrate": saved before, still paused.
    const auto status = qmp.status();
    if (status != "paused" && status != "postmigrate") fail(fmt::format("the VMM is {}, not paused", status));
    // QEMU's default limit (128 MiB/s) spares a network link; for a local file it
    // only makes the save slower (0.70 s against 0.08 s for the default image).
    qmp.execute("migrate-set-parameters", {{"max-bandwidth", std::int64_t{1} << 40}});
    qmp.execute_passing_fd("getfd", {{"fdname", fd_name}}, fd.get());
    qmp.execute("migrate", {{"uri", fmt::format("fd:{}", fd_name)}});
    migrating = true;
    watch(fd.get(), vmm, stall_timeout, [&] {
      const auto migration = qmp_migration_of(qmp.execute("query-migrate"));
      if (migration.status == "failed" || migration.status == "cancelled")
        fail(migration.error.empty() ? "the migration " + migration.status : migration.error);
      return migration.status == "completed";
    });
    migrating = false;
    // The state must outlive a host crash or reboot, like the disks it goes with.
    if (fsync(fd.get()) != 0) fail(fmt::format("cannot sync {}: {}", path.string(), std::strerror(errno)));
    sync_dir(dir);
    struct stat st {};
    if (fstat(fd.get(), &st) != 0) fail(fmt::format("cannot stat {}: {}", path.string(), std::strerror(errno)));
    return static_cast<std::uint64_t>(st.st_size);
  } catch (const std::exception& e) {
    if (migrating) {
      try {
        qmp.execute("migrate_cancel");
      } catch (const std::exception&) {
        // A VMM that exited or stopped answering has nothing left to cancel.
      }
    }
    // A partial state must never be taken for one that loads.
    std::error_code ignored;
    fs::remove(path, ignored);
    std::string why = e.what();
    if (why.rfind("qemu: ", 0) == 0) why.erase(0, 6);
    throw Error(ErrorKind::backend_failed, "qemu: could not save the state: " + why);
  }
}

void load_qemu_state(QmpClient& qmp, const fs::path& dir, const ProcessId& vmm, const fs::path& vmm_log,
                     milliseconds stall_timeout) {
  const fs::path path = dir / qemu_state_file;
  std::error_code ec;
  const auto log_start = fs::file_size(vmm_log, ec);
  // Whether a failure is the state's (SavedStateRefused: the domain drops it) or
  // the VMM's (the state stays for another Start): its file, and QEMU's reading of it.
  bool state_at_fault = true;
  try {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) fail(fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)));
    struct stat st {};
    if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) fail(path.string() + " is not a regular file");
    state_at_fault = false;
    const auto status = qmp.status();
    if (status != "inmigrate")
      fail(fmt::format("the VMM is {}, not waiting for a state (launched without -incoming)", status));
    qmp.execute_passing_fd("getfd", {{"fdname", fd_name}}, fd.get());
    state_at_fault = true;
    qmp.execute("migrate-incoming", {{"uri", fmt::format("fd:{}", fd_name)}});
    // Loaded once QEMU leaves "inmigrate": with -S it waits "paused" for start()'s "cont".
    watch(fd.get(), vmm, stall_timeout, [&] {
      const auto now = qmp.status();
      if (now == "inmigrate") {
        const auto migration = qmp_migration_of(qmp.execute("query-migrate"));
        if (migration.status == "failed" || migration.status == "cancelled")
          fail(migration.error.empty() ? "the migration " + migration.status : migration.error);
        return false;
      }
      if (now != "paused") fail(fmt::format("the VMM is {} after loading the state", now));
      return true;
    });
  } catch (const std::exception& e) {
    // QEMU 7.2 reports a state it cannot load on its stderr and exits: its own
    // words say more than the closed QMP connection that shows it here.
    wait_gone(vmm, milliseconds(1000));
    std::string why = is_running(vmm) ? std::string() : log_since(vmm_log, ec ? 0 : log_start);
    if (why.empty()) {
      why = e.what();
      if (why.rfind("qemu: ", 0) == 0) why.erase(0, 6);
    }
    if (state_at_fault) throw SavedStateRefused("qemu: could not load the saved state: " + why);
    throw Error(ErrorKind::backend_failed, "qemu: could not hand the saved state to the VMM: " + why);
  }
}

}  // namespace banger
