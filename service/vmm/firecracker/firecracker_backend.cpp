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
#include "vmm/firecracker/firecracker_handles.h"
#include "vmm/firecracker/jailer.h"
#include "vmm/firecracker/saved_state.h"
#include "vmm/firecracker/unjailed.h"
#include "vmm/vmm_groups.h"
#include "vmm/process.h"

namespace banger {

namespace firecracker_detail {

Handles parse(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
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

}  // namespace firecracker_detail

using namespace firecracker_detail;

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::milliseconds;


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

std::unique_ptr<VmmBackend> make_firecracker_backend(const Config& config) {
  return std::make_unique<FirecrackerBackend>(config.firecracker, make_vmm_ids(config.firecracker, config.state_dir));
}

}  // namespace banger
