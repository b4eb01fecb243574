// The Firecracker backend's suspend to disk (issue 19): the format a saved
// state needs, save_state (PUT /snapshot/create, the files taken from the VMM)
// and the load a restore's configure() sends (PUT /snapshot/load), with where
// each file must be for a VMM jailed, unjailed as its VM's uid, or as root.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "core/sparse_copy.h"
#include "core/unique_fd.h"
#include "core/vmm_backend.h"
#include "doctor/command_output.h"
#include "vmm/firecracker/firecracker_backend.h"
#include "vmm/firecracker/firecracker_handles.h"
#include "vmm/firecracker/jailer.h"
#include "vmm/firecracker/saved_state.h"
#include "vmm/firecracker/unjailed.h"

namespace banger {

namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::milliseconds;

namespace firecracker_detail {

namespace {

// Writing or loading a snapshot moves all of guest memory (GiBs on a slow
// disk), which one API request is not otherwise given time for.
constexpr milliseconds snapshot_timeout = std::chrono::minutes(5);

// How the VMM reaches the host, which decides every path it is told: jailed
// (inside its chroot), unjailed as its VM's uid (through descriptors) or as root
// (host paths).
enum class Placement { jailed, as_vm_uid, as_root };

Placement placement_of(const Handles& h) {
  return !h.jail.empty() ? Placement::jailed : !h.vm_id.empty() ? Placement::as_vm_uid : Placement::as_root;
}

const char* placement_name(Placement p) {
  switch (p) {
    case Placement::jailed: return "jailed";
    case Placement::as_vm_uid: return "unjailed as the VM's uid";
    case Placement::as_root: return "unjailed as root";
  }
  return "?";
}

MachineConfig seen_by(Placement p, const MachineConfig& machine) {
  return p == Placement::jailed ? jailed_view(machine) : p == Placement::as_vm_uid ? unjailed_view(machine) : machine;
}

[[noreturn]] void fail_errno(const std::string& what) {
  throw Error(ErrorKind::backend_failed, fmt::format("{}: {}", what, std::strerror(errno)));
}

// Whom a launched VMM runs as: the owner of what launch() gave it to write.
JailOwner vmm_owner(const Handles& h) {
  const Placement p = placement_of(h);
  if (p == Placement::as_root) return {0, 0};
  const fs::path own = p == Placement::jailed ? h.jail / "root/run" : unjailed_vmm_dir(h.runtime_dir);
  struct stat st {};
  if (::lstat(own.c_str(), &st) != 0) fail_errno("firecracker: cannot tell whom the VMM runs as from " + own.string());
  return {st.st_uid, st.st_gid};
}

// Where the VMM can write or read a snapshot's files, on the host and as it
// names it: its jail or its vmm directory (its own, 0700), never a place
// another uid could read guest memory from.
struct Staging {
  fs::path host, seen;
};

Staging staging_of(const Handles& h) {
  if (placement_of(h) == Placement::jailed) return {h.jail / "root/snapshot", "/snapshot"};
  return {unjailed_vmm_dir(h.runtime_dir) / "snapshot", unjailed_vmm_dir_argument() / "snapshot"};
}

void make_staging(const fs::path& dir, JailOwner owner) {
  std::error_code ignored;
  fs::remove_all(dir, ignored);  // a stale one (symlinks in it are removed, never followed)
  if (::mkdir(dir.c_str(), 0700) != 0) fail_errno("firecracker: cannot make " + dir.string());
  if (::lchown(dir.c_str(), owner.uid, owner.gid) != 0)
    fail_errno(fmt::format("firecracker: cannot give {} to uid {}", dir.string(), owner.uid));
}

void sync_path(const fs::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid() || fsync(fd.get()) != 0) fail_errno("sync " + path.string());
}

// Takes a file the VMM wrote out of its reach into bangerd's `target` (root's,
// 0600). A Full snapshot's memory loses its zero pages; anything else keeps
// its holes and nothing more (a Diff's zero pages are pages the guest cleared).
void take_file(const fs::path& source, const fs::path& target, JailOwner owner, bool skip_zero_pages) {
  UniqueFd in = open_written_by(source, owner);
  UniqueFd out(::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!out.valid()) fail_errno("create " + target.string());
  if (skip_zero_pages)
    copy_skipping_zero_pages(in.get(), out.get(), source.string());
  else
    copy_sparse(in.get(), out.get(), source.string());
  if (fsync(out.get()) != 0) fail_errno("sync " + target.string());
}

// The host CPU as a snapshot depends on it: Firecracker restores the vCPUs'
// CPUID and MSRs as they were, which another CPU model may not have.
std::string host_cpu() {
  static const std::string cpu = [] {
    std::map<std::string, std::string> first;
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);) {
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      auto key = line.substr(0, line.find_last_not_of(" \t", colon - 1) + 1);
      auto value = line.substr(std::min(colon + 2, line.size()));
      first.emplace(key, value);
    }
    utsname u{};
    uname(&u);
    std::string cpu = u.machine;
    for (const char* key : {"vendor_id", "cpu family", "model", "stepping", "CPU implementer", "CPU part", "CPU variant"})
      if (auto it = first.find(key); it != first.end()) cpu += fmt::format(" {}={}", key, it->second);
    return cpu;
  }();
  return cpu;
}

// What identifies a binary on disk: a replaced (upgraded) one is asked again.
std::string binary_identity(const fs::path& binary) {
  struct stat st {};
  if (::stat(binary.c_str(), &st) != 0) return {};
  return fmt::format("{}:{}:{}:{}.{}:{}.{}", st.st_dev, st.st_ino, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
                     st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
}



// Puts the saved files where the VMM can read them and names them as it does:
// as root, where they are; jailed, linked (copied across file systems) into
// its jail's own directory; as the VM's uid, the descriptors launch() passed.
// The VMM only reads them (it maps the memory privately), so the links share
// the saved files, made readable by its group: root's 0700 directory keeps
// them from anyone else, as the VMM's 0700 one does.
// The saved files as the VMM names them.
struct PlacedState {
  fs::path state, memory;
};

PlacedState place_saved_state(const Handles& h, const MachineConfig& machine) {
  const fs::path state_file = saved_state_file(machine.restore_from), memory_file = saved_memory_file(machine.restore_from);
  for (const auto& file : {state_file, memory_file}) {
    struct stat st {};
    if (::lstat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
      throw Error(ErrorKind::backend_failed, fmt::format("{} is missing or not a file", file.string()));
  }
  const Placement p = placement_of(h);
  if (p == Placement::as_root) return {state_file, memory_file};
  const JailOwner owner = vmm_owner(h);
  for (const auto& file : {state_file, memory_file})
    if (::lchown(file.c_str(), 0, owner.gid) != 0 || ::chmod(file.c_str(), 0640) != 0)
      fail_errno(fmt::format("cannot let gid {} read {}", owner.gid, file.string()));
  if (p == Placement::as_vm_uid) {
    const auto seen = unjailed_saved_state_view(machine);
    return {seen.state, seen.memory};
  }
  const Staging staging = staging_of(h);
  make_staging(staging.host, owner);
  for (const auto& file : {state_file, memory_file}) {
    const fs::path target = staging.host / file.filename();
    std::error_code ec;
    fs::create_hard_link(file, target, ec);
    if (ec == std::errc::cross_device_link) {
      copy_sparse(file, target);
      if (::lchown(target.c_str(), owner.uid, owner.gid) != 0)
        fail_errno(fmt::format("cannot give {} to uid {}", target.string(), owner.uid));
    } else if (ec) {
      throw Error(ErrorKind::backend_failed,
                  fmt::format("cannot link {} into the jail: {}", file.string(), ec.message()));
    }
  }
  return {staging.seen / state_file.filename(), staging.seen / memory_file.filename()};
}

}  // namespace

// PUT /snapshot/load on the fresh VMM of `h`, the files put in its reach first.
void load_saved_state(const FirecrackerApiClient& api, const Handles& h, const MachineConfig& machine,
                      milliseconds timeout, DirtyPageTracking tracking) {
  // A state whose files are gone or that the VMM refuses is the state's fault (SavedStateRefused).
  try {
    const PlacedState placed = place_saved_state(h, machine);
    json load{{"snapshot_path", placed.state.string()},
              {"mem_backend", {{"backend_type", "File"}, {"backend_path", placed.memory.string()}}},
              {"resume_vm", false}};  // start() resumes it, as it starts a cold one
    if (tracking == DirtyPageTracking::on) load["track_dirty_pages"] = true;
    // The state names the taps it was saved with; the VM keeps its tap while
    // suspended, but the name given now is the one that is right.
    if (!machine.interfaces.empty()) {
      json overrides = json::array();
      for (const auto& iface : machine.interfaces)
        overrides.push_back({{"iface_id", iface.id}, {"host_dev_name", iface.tap}});
      load["network_overrides"] = overrides;
    }
    FirecrackerApiClient(api.socket(), std::max(timeout, snapshot_timeout)).request("PUT", "/snapshot/load", load);
  } catch (const Error& e) {
    throw SavedStateRefused(fmt::format("firecracker could not load the saved state: {}", e.what()));
  }
}


}  // namespace firecracker_detail

using namespace firecracker_detail;

std::string FirecrackerBackend::firecracker_version() const {
  const std::string identity = binary_identity(settings_.binary);
  std::lock_guard lock(version_mutex_);
  if (version_ && version_->identity == identity) return version_->version;
  const auto run = doctor::command_output({settings_.binary.string(), "--version"}, std::chrono::seconds(10));
  std::string version = run.output.substr(0, run.output.find('\n'));
  if (!run.problem.empty() || run.exit_code != 0 || version.empty())
    throw Error(ErrorKind::backend_failed,
                fmt::format("{} does not answer --version: {}", settings_.binary.string(),
                            !run.problem.empty() ? run.problem : fmt::format("exit status {}", run.exit_code)));
  version_ = VersionAnswer{identity, version};
  return version;
}

std::string FirecrackerBackend::saved_state_format(const MachineConfig& machine) const {
  if (access(settings_.binary.c_str(), X_OK) != 0) return {};
  // Where launch() will put the VMM (it claims no uid here: const, and only asking).
  const Placement p = !settings_.jailer.empty()                  ? Placement::jailed
                      : ids_ != nullptr || settings_.jailer_uid != 0 ? Placement::as_vm_uid
                                                                     : Placement::as_root;
  const MachineConfig seen = seen_by(p, machine);
  std::string drives, nics;
  for (const auto& d : seen.drives)
    drives += fmt::format(" {}={}:{}{}", d.id, d.path.string(), d.read_only ? "ro" : "rw", d.is_root ? ":root" : "");
  for (const auto& n : seen.interfaces) nics += fmt::format(" {}={}", n.id, n.mac);
  return fmt::format("{}; cpu {}; {} vcpus, {} MiB; {}; drives{}; nics{}", firecracker_version(), host_cpu(),
                     machine.vcpus, machine.memory_mib, placement_name(p), drives, nics);
}

std::uint64_t FirecrackerBackend::save_state(const std::string& handles, const fs::path& dir, SnapshotType type) {
  Handles h = parse(handles);
  const bool full = type == SnapshotType::full;
  const Placement p = placement_of(h);
  // As root, the VMM writes into `dir` itself (no copy of all of memory);
  // else into its own staging directory, which bangerd then empties into `dir`.
  const Staging staging = p == Placement::as_root ? Staging{dir, dir} : staging_of(h);
  std::error_code ignored;
  try {
    const JailOwner owner = vmm_owner(h);
    if (p != Placement::as_root) make_staging(staging.host, owner);
    FirecrackerApiClient(h.api_socket, std::max(settings_.api_timeout, snapshot_timeout))
        .request("PUT", "/snapshot/create",
                 json{{"snapshot_type", full ? "Full" : "Diff"},
                      {"snapshot_path", saved_state_file(staging.seen).string()},
                      {"mem_file_path", saved_memory_file(staging.seen).string()}});
    if (p == Placement::as_root) {
      if (full) {
        UniqueFd memory(::open(saved_memory_file(dir).c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC));
        if (!memory.valid()) fail_errno("open " + saved_memory_file(dir).string());
        punch_zero_pages(memory.get(), saved_memory_file(dir).string());  // else left whole: still right
      }
      sync_path(saved_state_file(dir));
      sync_path(saved_memory_file(dir));
    } else {
      take_file(saved_state_file(staging.host), saved_state_file(dir), owner, false);
      take_file(saved_memory_file(staging.host), saved_memory_file(dir), owner, full);
      fs::remove_all(staging.host, ignored);
    }
    sync_path(dir);
  } catch (const Error& e) {
    if (p != Placement::as_root) fs::remove_all(staging.host, ignored);
    fs::remove(saved_state_file(dir), ignored);
    fs::remove(saved_memory_file(dir), ignored);
    throw Error(e.kind() == ErrorKind::resource_exhausted ? e.kind() : ErrorKind::backend_failed,
                fmt::format("firecracker could not save the state: {}", e.what()));
  }
  return allocated_bytes(saved_state_file(dir)) + allocated_bytes(saved_memory_file(dir));
}

}  // namespace banger
