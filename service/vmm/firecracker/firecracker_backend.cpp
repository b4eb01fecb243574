#include "vmm/firecracker/firecracker_backend.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/console_log.h"
#include "core/errors.h"
#include "core/sparse_copy.h"
#include "core/unique_fd.h"
#include "doctor/command_output.h"
#include "store/json_numbers.h"
#include "vmm/firecracker/api_answers.h"
#include "vmm/firecracker/api_client.h"
#include "vmm/firecracker/jailer.h"
#include "vmm/firecracker/saved_state.h"
#include "vmm/firecracker/unjailed.h"
#include "vmm/vmm_groups.h"
#include "vmm/process.h"

namespace banger {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::milliseconds;

// What launch() recorded, read back from the handles.
struct Handles {
  ProcessId process;
  fs::path api_socket;
  fs::path runtime_dir;
  fs::path binary;  // firecracker
  fs::path jailer;  // empty when launched directly
  fs::path jail;    // the jailer's chroot of this VM; empty when launched directly
  std::string vm_id;  // an unjailed VMM run as its VM's uid: its --id; else empty
  bool restore = false;  // launched to load a saved state: start() resumes it
};

Handles parse(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  try {
    if (!j.is_object()) throw std::runtime_error("not a JSON object");
    return {{required_json_integer<pid_t>(j, "pid"), required_json_integer<std::uint64_t>(j, "start_time")},
            j.at("api_socket").get<std::string>(), j.at("runtime_dir").get<std::string>(),
            j.at("binary").get<std::string>(), j.value("jailer", std::string()), j.value("jail", std::string()),
            j.value("vm_id", std::string()), j.value("restore", false)};
  } catch (const std::exception& e) {
    throw Error(ErrorKind::backend_failed, fmt::format("firecracker: unreadable handles: {}", e.what()));
  }
}

// True when something accepts connections on the Unix socket. A plain
// connect(): no HTTP request, so the VMM's API sees nothing from this probe.
bool socket_accepts(const fs::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.native().size() >= sizeof addr.sun_path) return false;
  path.native().copy(addr.sun_path, sizeof addr.sun_path - 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

// Firecracker refuses a log or metrics path that does not exist yet.
void create_file(const fs::path& path) {
  std::ofstream out(path, std::ios::app);
  if (!out) throw Error(ErrorKind::backend_failed, fmt::format("cannot create {}", path.string()));
}

// What the command line of this VM's VMM holds whoever runs it (firecracker,
// the jailer before its exec, or an interpreter when [vmm] firecracker is a
// script), so that a process that took the pid in the same clock tick is not
// taken for it: the API socket under the runtime dir; jailed, which names
// everything inside its chroot, the VM id that the jailer passes on as --id
// (the jail's own name).
// Unjailed as the VM's uid, whose command line names descriptors, not paths: the VM id it passes as --id.
std::string vm_mention(const Handles& h) {
  if (!h.vm_id.empty()) return h.vm_id;
  return h.jail.empty() ? (h.runtime_dir / "").string() : h.jail.filename().string();
}

// What the VMM left once it is gone: its socket, its vmm directory or its jail.
void release(const Handles& h) {
  std::error_code ignored;
  fs::remove(h.api_socket, ignored);
  if (!h.vm_id.empty()) fs::remove_all(unjailed_vmm_dir(h.runtime_dir), ignored);
  if (!h.jail.empty()) remove_jail(h.jail);
}

// Where Firecracker's own log is, for exit_code(): in its vmm directory when it ran as the VM's uid.
fs::path log_dir_of(const Handles& h) { return h.vm_id.empty() ? h.runtime_dir : unjailed_vmm_dir(h.runtime_dir); }

// Until the VMM accepts connections on its API socket; ends it when it does not in time.
void wait_for_api_socket(const Handles& h, const std::string& binary, const fs::path& log, milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!socket_accepts(h.api_socket)) {
    if (!is_running(h.process))
      throw Error(ErrorKind::backend_failed,
                  fmt::format("{} exited before opening its API socket; see {}", binary, log.string()));
    if (std::chrono::steady_clock::now() >= deadline) {
      terminate(h.process, milliseconds(0));
      throw Error(ErrorKind::backend_failed, fmt::format("{} did not open its API socket {} within {} ms", binary,
                                                         h.api_socket.string(), timeout.count()));
    }
    std::this_thread::sleep_for(milliseconds(1));  // Firecracker binds within milliseconds
  }
}

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

}  // namespace

FirecrackerBackend::FirecrackerBackend(FirecrackerSettings settings, std::shared_ptr<JailerIds> ids,
                                       DirtyPageTracking tracking)
    : settings_(std::move(settings)), ids_(std::move(ids)), tracking_(tracking) {}

std::string FirecrackerBackend::unavailable() const {
  if (access(settings_.binary.c_str(), X_OK) != 0)
    return fmt::format("no firecracker binary at {} (set [vmm] firecracker)", settings_.binary.string());
  if (!settings_.jailer.empty() && access(settings_.jailer.c_str(), X_OK) != 0)
    return fmt::format("no jailer binary at {} (set [vmm] jailer)", settings_.jailer.string());
  return {};
}

std::string FirecrackerBackend::launch(const MachineConfig& machine) {
  Handles h{{}, machine.runtime_dir / "firecracker.sock", machine.runtime_dir, settings_.binary, settings_.jailer, {}, {}};
  std::vector<std::string> argv{settings_.binary.string(), "--api-sock", h.api_socket.string(), "--id", machine.vm_id};
  // Whom the VMM runs as: the VM's own uid (the jailer drops to it; unjailed,
  // bangerd starts it as that uid), or root where [firecracker] says uid 0.
  const JailOwner owner = jail_owner_of(ids_.get(), settings_, machine.vm_id);
  std::vector<UniqueFd> handed;  // an unjailed VMM's descriptors, open until it runs
  std::optional<SpawnAs> as;
  if (!settings_.jailer.empty()) {
    prepare_jail(settings_, machine, owner);
    h.jail = jail_dir(settings_, machine.vm_id);
    h.api_socket = jail_root(settings_, machine.vm_id) / fs::path(jailed_api_socket).relative_path();
    argv = jailer_command_line(settings_, machine.vm_id, owner);
  } else if (owner.uid != 0) {
    handed = prepare_unjailed(machine, owner);
    h.vm_id = machine.vm_id;
    h.api_socket = unjailed_vmm_dir(machine.runtime_dir) / "firecracker.sock";
    argv[2] = unjailed_api_socket_argument().string();
    as = SpawnAs{VmmUser{owner.uid, owner.gid, kvm_device_groups("/dev/kvm")}, {}};
    for (const auto& fd : handed) as->passed_fds.push_back(fd.get());
  }
  try {
    std::error_code ignored;
    fs::remove(h.api_socket, ignored);  // a stale socket would make Firecracker fail to bind
    // Firecracker's serial console is its stdin/stdout: the console relay's pty
    // when there is one (inherited through the jailer, so no path in the
    // chroot is needed), else the log. Its own start-up errors go to stderr,
    // the same file either way.
    const fs::path log = console_log_path(machine.runtime_dir);
    const SpawnAs* as_user = as ? &*as : nullptr;
    h.process = machine.serial_tty.empty() ? spawn_detached(argv, log, as_user)
                                           : spawn_detached_on_tty(argv, machine.serial_tty, log, as_user);
    wait_for_api_socket(h, argv[0], log, settings_.api_timeout);
  } catch (...) {
    release(h);  // no handles reach the caller, so nothing else would
    throw;
  }

  json handles{{"pid", h.process.pid},           {"start_time", h.process.start_time},
               {"api_socket", h.api_socket.string()}, {"runtime_dir", h.runtime_dir.string()},
               {"binary", h.binary.string()}};
  if (!h.jailer.empty()) {
    handles["jailer"] = h.jailer.string();
    handles["jail"] = h.jail.string();
  }
  if (!machine.restore_from.empty()) handles["restore"] = true;
  if (!h.vm_id.empty()) {
    handles["vm_id"] = h.vm_id;
    handles["uid"] = owner.uid;  // for whoever reads the handles, as QEMU's say
    handles["gid"] = owner.gid;
  }
  return handles.dump();
}

namespace {

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

}  // namespace

void FirecrackerBackend::configure(const std::string& handles, const MachineConfig& machine) {
  Handles h = parse(handles);
  FirecrackerApiClient api(h.api_socket, settings_.api_timeout);
  // A jailed firecracker names everything inside its chroot, where
  // prepare_jail() put it.
  // Unjailed as the VM's uid, it names them by the descriptors launch() passed (unjailed.h).
  const bool jailed = !h.jail.empty();
  const bool unjailed_as_vm_uid = !h.vm_id.empty();
  const MachineConfig seen = jailed ? jailed_view(machine) : unjailed_as_vm_uid ? unjailed_view(machine) : machine;

  const fs::path log = seen.runtime_dir / "firecracker.log";
  const fs::path metrics = seen.runtime_dir / "metrics.json";
  if (!jailed && !unjailed_as_vm_uid) {  // else made for the VMM's uid beforehand
    create_file(log);
    create_file(metrics);
  }
  api.request("PUT", "/logger", json{{"log_path", log.string()}, {"level", "Info"}});
  api.request("PUT", "/metrics", json{{"metrics_path", metrics.string()}});
  // A restore configures nothing more: the state holds the machine, its
  // drives and NICs, and Firecracker takes the load on a fresh VMM only.
  if (!machine.restore_from.empty()) {
    load_saved_state(api, h, machine, settings_.api_timeout, tracking_);
    return;
  }
  json machine_config{{"vcpu_count", machine.vcpus}, {"mem_size_mib", machine.memory_mib}, {"smt", false}};
  if (tracking_ == DirtyPageTracking::on) machine_config["track_dirty_pages"] = true;
  api.request("PUT", "/machine-config", machine_config);

  std::string boot_args;
  for (const auto& arg : seen.kernel_args) boot_args += (boot_args.empty() ? "" : " ") + arg;
  json boot{{"kernel_image_path", seen.kernel.string()}, {"boot_args", boot_args}};
  if (!seen.initrd.empty()) boot["initrd_path"] = seen.initrd.string();
  api.request("PUT", "/boot-source", boot);

  for (const auto& drive : seen.drives)
    api.request("PUT", "/drives/" + drive.id,
                json{{"drive_id", drive.id},
                     {"path_on_host", drive.path.string()},
                     {"is_root_device", drive.is_root},
                     {"is_read_only", drive.read_only}});
  for (const auto& iface : seen.interfaces) {
    json body{{"iface_id", iface.id}, {"host_dev_name", iface.tap}};
    if (!iface.mac.empty()) body["guest_mac"] = iface.mac;
    api.request("PUT", "/network-interfaces/" + iface.id, body);
  }
}

void FirecrackerBackend::start(const std::string& handles) {
  Handles h = parse(handles);
  FirecrackerApiClient api(h.api_socket, settings_.api_timeout);
  // A loaded state is a booted guest, paused: it runs on, it does not boot.
  if (h.restore)
    api.request("PATCH", "/vm", json{{"state", "Resumed"}});
  else
    api.request("PUT", "/actions", json{{"action_type", "InstanceStart"}});
}

void FirecrackerBackend::stop(const std::string& handles, milliseconds timeout) {
  Handles h = parse(handles);
  bool asked = false;
  if (is_running(h.process)) {
    try {
      FirecrackerApiClient(h.api_socket, settings_.api_timeout)
          .request("PUT", "/actions", json{{"action_type", "SendCtrlAltDel"}});
      asked = true;
    } catch (const Error&) {
      // The guest was not told to shut down: waiting for it would only
      // delay the forced stop below.
    }
  }
  if (!asked || !wait_gone(h.process, timeout)) terminate(h.process, settings_.api_timeout);
  release(h);
}

void FirecrackerBackend::kill(const std::string& handles) {
  Handles h = parse(handles);
  if (is_running(h.process)) ::kill(h.process.pid, SIGKILL);
  if (!wait_gone(h.process, std::chrono::seconds(5)))
    throw Error(ErrorKind::backend_failed, fmt::format("firecracker {} survived SIGKILL", h.process.pid));
  release(h);
}

void FirecrackerBackend::pause(const std::string& handles) {
  Handles h = parse(handles);
  FirecrackerApiClient(h.api_socket, settings_.api_timeout).request("PATCH", "/vm", json{{"state", "Paused"}});
}

void FirecrackerBackend::resume(const std::string& handles) {
  Handles h = parse(handles);
  FirecrackerApiClient(h.api_socket, settings_.api_timeout).request("PATCH", "/vm", json{{"state", "Resumed"}});
}

VmmStatus FirecrackerBackend::status(const std::string& handles) {
  Handles h = parse(handles);
  if (!is_running(h.process)) {
    release(h);
    return VmmStatus::exited;
  }
  try {
    if (firecracker_reports_paused(FirecrackerApiClient(h.api_socket, settings_.api_timeout).request("GET", "/").body))
      return VmmStatus::paused;
  } catch (const Error&) {
    // A busy API does not mean the VM is gone: the process still runs.
  }
  return VmmStatus::running;
}

std::optional<int> FirecrackerBackend::exit_code(const std::string& handles) {
  Handles h = parse(handles);
  // Its logger's file once configured, else its stderr (the console log, which
  // the guest writes too: read only when the logger file says nothing).
  for (const fs::path& file : {log_dir_of(h) / "firecracker.log", h.runtime_dir / "console.log"}) {
    std::optional<int> code;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
      auto at = line.rfind("exit_code=");
      if (at == std::string::npos) continue;
      try {
        code = std::stoi(line.substr(at + 10));
      } catch (const std::exception&) {
      }
    }
    if (code) return code;
  }
  return std::nullopt;
}

bool FirecrackerBackend::adopt(const std::string& handles) {
  Handles h = parse(handles);
  if (!is_running(h.process) || !command_line_mentions(h.process.pid, vm_mention(h))) {
    release(h);  // our VMM is gone: nothing else will clean up after it
    return false;
  }
  try {
    FirecrackerApiClient(h.api_socket, settings_.api_timeout).request("GET", "/");
    return true;
  } catch (const Error&) {
    return false;
  }
}

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

std::unique_ptr<VmmBackend> make_firecracker_backend(const Config& config) {
  return std::make_unique<FirecrackerBackend>(config.firecracker, make_vmm_ids(config.firecracker, config.state_dir));
}

}  // namespace banger
