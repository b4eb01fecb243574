#include "vmm/firecracker/firecracker_backend.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/console_log.h"
#include "core/errors.h"
#include "vmm/firecracker/api_client.h"
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
};

Handles parse(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  try {
    if (!j.is_object()) throw std::runtime_error("not a JSON object");
    return {{j.at("pid").get<pid_t>(), j.at("start_time").get<std::uint64_t>()},
            j.at("api_socket").get<std::string>(), j.at("runtime_dir").get<std::string>(),
            j.at("binary").get<std::string>(), j.value("jailer", std::string())};
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

void remove_socket(const Handles& h) {
  std::error_code ignored;
  fs::remove(h.api_socket, ignored);
}

}  // namespace

FirecrackerBackend::FirecrackerBackend(FirecrackerSettings settings) : settings_(std::move(settings)) {}

std::string FirecrackerBackend::launch(const MachineConfig& machine) {
  std::vector<std::string> argv;
  fs::path socket;
  if (settings_.jailer.empty()) {
    socket = machine.runtime_dir / "firecracker.sock";
    argv = {settings_.binary.string(), "--api-sock", socket.string(), "--id", machine.vm_id};
  } else {
    // The jailer chroots to <base>/<exec file name>/<id>/root and passes --id
    // itself; the socket path given to firecracker is inside the chroot.
    socket = settings_.chroot_base / settings_.binary.filename() / machine.vm_id / "root/run/firecracker.socket";
    argv = {settings_.jailer.string(), "--id", machine.vm_id, "--exec-file", settings_.binary.string(),
            "--uid", std::to_string(settings_.jailer_uid), "--gid", std::to_string(settings_.jailer_gid),
            "--chroot-base-dir", settings_.chroot_base.string(), "--", "--api-sock", "/run/firecracker.socket"};
  }
  std::error_code ignored;
  fs::remove(socket, ignored);  // a stale socket would make Firecracker fail to bind
  // Firecracker's serial console is its stdout; its own start-up errors go
  // to stderr, so they end up in the same file.
  const fs::path log = console_log_path(machine.runtime_dir);
  ProcessId process = spawn_detached(argv, log);

  json handles{{"pid", process.pid},           {"start_time", process.start_time},
               {"api_socket", socket.string()}, {"runtime_dir", machine.runtime_dir.string()},
               {"binary", settings_.binary.string()}};
  if (!settings_.jailer.empty()) handles["jailer"] = settings_.jailer.string();

  auto deadline = std::chrono::steady_clock::now() + settings_.api_timeout;
  while (!socket_accepts(socket)) {
    if (!is_running(process))
      throw Error(ErrorKind::backend_failed,
                  fmt::format("{} exited before opening its API socket; see {}", argv[0], log.string()));
    if (std::chrono::steady_clock::now() >= deadline) {
      terminate(process, milliseconds(0));
      throw Error(ErrorKind::backend_failed, fmt::format("{} did not open its API socket {} within {} ms", argv[0],
                                                         socket.string(), settings_.api_timeout.count()));
    }
    std::this_thread::sleep_for(milliseconds(1));  // Firecracker binds within milliseconds
  }
  return handles.dump();
}

void FirecrackerBackend::configure(const std::string& handles, const MachineConfig& machine) {
  Handles h = parse(handles);
  FirecrackerApiClient api(h.api_socket, settings_.api_timeout);

  const fs::path log = machine.runtime_dir / "firecracker.log";
  const fs::path metrics = machine.runtime_dir / "metrics.json";
  create_file(log);
  create_file(metrics);
  api.request("PUT", "/logger", json{{"log_path", log.string()}, {"level", "Info"}});
  api.request("PUT", "/metrics", json{{"metrics_path", metrics.string()}});
  api.request("PUT", "/machine-config",
              json{{"vcpu_count", machine.vcpus}, {"mem_size_mib", machine.memory_mib}, {"smt", false}});

  std::string boot_args;
  for (const auto& arg : machine.kernel_args) boot_args += (boot_args.empty() ? "" : " ") + arg;
  json boot{{"kernel_image_path", machine.kernel.string()}, {"boot_args", boot_args}};
  if (!machine.initrd.empty()) boot["initrd_path"] = machine.initrd.string();
  api.request("PUT", "/boot-source", boot);

  for (const auto& drive : machine.drives)
    api.request("PUT", "/drives/" + drive.id,
                json{{"drive_id", drive.id},
                     {"path_on_host", drive.path.string()},
                     {"is_root_device", drive.is_root},
                     {"is_read_only", drive.read_only}});
  for (const auto& iface : machine.interfaces) {
    json body{{"iface_id", iface.id}, {"host_dev_name", iface.tap}};
    if (!iface.mac.empty()) body["guest_mac"] = iface.mac;
    api.request("PUT", "/network-interfaces/" + iface.id, body);
  }
}

void FirecrackerBackend::start(const std::string& handles) {
  Handles h = parse(handles);
  FirecrackerApiClient(h.api_socket, settings_.api_timeout)
      .request("PUT", "/actions", json{{"action_type", "InstanceStart"}});
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
  remove_socket(h);
}

void FirecrackerBackend::kill(const std::string& handles) {
  Handles h = parse(handles);
  if (is_running(h.process)) ::kill(h.process.pid, SIGKILL);
  if (!wait_gone(h.process, std::chrono::seconds(5)))
    throw Error(ErrorKind::backend_failed, fmt::format("firecracker {} survived SIGKILL", h.process.pid));
  remove_socket(h);
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
  if (!is_running(h.process)) return VmmStatus::exited;
  try {
    auto info = json::parse(
        FirecrackerApiClient(h.api_socket, settings_.api_timeout).request("GET", "/").body, nullptr, false);
    if (info.is_object() && info.value("state", std::string()) == "Paused") return VmmStatus::paused;
  } catch (const Error&) {
    // A busy API does not mean the VM is gone: the process still runs.
  }
  return VmmStatus::running;
}

bool FirecrackerBackend::adopt(const std::string& handles) {
  Handles h = parse(handles);
  if (!is_running(h.process)) return false;
  // After exec the jailer is firecracker, so either name is the VMM we launched.
  const auto command = fs::path(process_argv0(h.process.pid)).filename();
  if (command.empty() || (command != h.binary.filename() && (h.jailer.empty() || command != h.jailer.filename())))
    return false;
  try {
    FirecrackerApiClient(h.api_socket, settings_.api_timeout).request("GET", "/");
    return true;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace banger
