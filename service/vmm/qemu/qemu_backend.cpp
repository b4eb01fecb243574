#include "vmm/qemu/qemu_backend.h"

#include <unistd.h>

#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/console_log.h"
#include "core/errors.h"
#include "store/json_numbers.h"
#include "core/log.h"
#include "vmm/firecracker/jailer.h"
#include "vmm/process.h"
#include "vmm/vmm_groups.h"
#include "vmm/qemu/host_tsc.h"
#include "vmm/qemu/kvm_probe.h"
#include "vmm/qemu/kvm_verdict.h"
#include "vmm/qemu/qemu_migration.h"
#include "vmm/qemu/qemu_sandbox.h"
#include "vmm/qemu/qmp_client.h"

namespace banger {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using nlohmann::json;

namespace {

struct Handles {
  ProcessId process;
  fs::path qmp_socket;
  fs::path runtime_dir;
  fs::path binary;
  std::string accel;  // "kvm" or "tcg"; empty in handles written before it was recorded
  bool restoring = false;  // launched to load a saved state (MachineConfig::restore_from)
};

[[noreturn]] void fail(const std::string& message) { throw Error(ErrorKind::backend_failed, "qemu: " + message); }

Handles parse(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  try {
    if (j.is_discarded()) throw std::runtime_error("not JSON");
    return {{required_json_integer<pid_t>(j, "pid"), required_json_integer<std::uint64_t>(j, "start_time")},
            j.at("qmp_socket").get<std::string>(),
            j.at("runtime_dir").get<std::string>(),
            j.at("binary").get<std::string>(),
            j.value("accel", std::string()),
            j.value("restoring", false)};
  } catch (const std::exception& e) {
    fail(fmt::format("unreadable handles: {}", e.what()));
  }
}

// The last line QEMU wrote to its log: why it refused to start.
std::string last_log_line(const Handles& h) {
  std::ifstream in(h.runtime_dir / "vmm.log");
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last.empty() ? "no message in vmm.log" : last;
}

// A QMP connection to a VMM that must still run; a dead one is reported with
// QEMU's own last words rather than a bare "connection refused".
// `qmp_timeout` ([qemu] qmp_timeout_ms) bounds both the connection and each
// reply: a hung QEMU fails the call instead of blocking it.
QmpClient connect(const Handles& h, milliseconds qmp_timeout) {
  if (!is_running(h.process)) fail(fmt::format("the VMM (pid {}) is not running: {}", h.process.pid, last_log_line(h)));
  // Short attempts, so that a QEMU that dies while starting is noticed at once
  // instead of after the whole timeout.
  auto deadline = std::chrono::steady_clock::now() + qmp_timeout;
  for (;;) {
    try {
      return QmpClient(h.qmp_socket, std::min(milliseconds(200), qmp_timeout), qmp_timeout);
    } catch (const Error&) {
      if (!is_running(h.process)) fail(fmt::format("the VMM exited: {}", last_log_line(h)));
      if (std::chrono::steady_clock::now() >= deadline) throw;
    }
  }
}

void remove_sockets(const Handles& h) {
  std::error_code ignored;
  fs::remove(h.qmp_socket, ignored);
}

}  // namespace

QemuBackend::QemuBackend(QemuSettings settings, std::shared_ptr<JailerIds> ids, JailOwner fixed)
    : settings_(std::move(settings)), ids_(std::move(ids)), fixed_(fixed) {
  if (settings_.accel != "auto" && settings_.accel != "kvm" && settings_.accel != "tcg")
    throw Error(ErrorKind::invalid_args, "qemu: accel must be auto, kvm or tcg, not " + settings_.accel);
}

std::string QemuBackend::unavailable() const {
  if (access(settings_.binary.c_str(), X_OK) != 0)
    return fmt::format("no qemu binary at {} (set [vmm] qemu)", settings_.binary.string());
  return {};
}

std::string QemuBackend::accelerator(const fs::path& kernel) const {
  if (settings_.accel != "auto") return settings_.accel;
  return kvm_verdict(kernel).usable ? "kvm" : "tcg";
}

KvmVerdict QemuBackend::kvm_verdict(const fs::path& kernel) const {
  std::lock_guard lock(verdict_mutex_);
  if (verdict_) return *verdict_;
  // One verdict per host boot and QEMU binary: a restarted bangerd reads it
  // instead of booting the probe again (a broken KVM costs the probe's timeout).
  const auto key = kvm_verdict_key(settings_.binary);
  if (auto recorded = read_kvm_verdict(settings_.kvm_verdict_file, key)) {
    verdict_ = recorded;
  } else {
    const fs::path scratch =
        settings_.kvm_verdict_file.empty() ? fs::temp_directory_path() : settings_.kvm_verdict_file.parent_path();
    try {
      // As the VMs' QEMU runs: unprivileged, with /dev/kvm's group (probe_user()).
      const auto user = probe_user();
      verdict_ = decide_kvm(probe_kvm(settings_.kvm_device.c_str()), settings_.binary, kernel, scratch,
                            settings_.kvm_probe_timeout, user ? &*user : nullptr);
    } catch (const Error& e) {
      // No kernel to probe with: this launch fails on it anyway (with QEMU's
      // own message), and the next one with a kernel decides.
      return {false, e.what()};
    }
    write_kvm_verdict(settings_.kvm_verdict_file, key, *verdict_);
  }
  log::info("qemu: accel = \"auto\" uses {}: {}", verdict_->usable ? "kvm" : "tcg", verdict_->reason);
  return *verdict_;
}

bool QemuBackend::fall_back_after_failed_start(const std::string& handles) {
  const Handles h = parse(handles);
  // A VMM that died loading a saved state died of the state (QEMU exits when
  // one does not load), not of KVM: the state was saved under KVM, which ran it.
  if (settings_.accel != "auto" || h.accel != "kvm" || h.restoring) return false;
  std::lock_guard lock(verdict_mutex_);
  // The boot probe passed, yet a real guest's QEMU died: KVM cannot be trusted on this host.
  verdict_ = KvmVerdict{false, "a VM's QEMU died under KVM before its guest ran (the boot probe had passed)"};
  write_kvm_verdict(settings_.kvm_verdict_file, kvm_verdict_key(settings_.binary), *verdict_);
  log::warn("qemu: accel = \"auto\" uses tcg from now on: {}", verdict_->reason);
  return true;
}

std::vector<std::string> QemuBackend::command_line(const MachineConfig& machine) const {
  QemuFiles by_path(false, 0);
  return command_line(machine, accelerator(machine.kernel), by_path);
}

std::optional<VmmUser> QemuBackend::vmm_user(const std::string& vm_id) const {
  const JailOwner owner = ids_ ? ids_->acquire(vm_id) : fixed_;
  if (owner.uid == 0) return std::nullopt;
  return VmmUser{owner.uid, owner.gid, kvm_device_groups(settings_.kvm_device)};
}

std::optional<VmmUser> QemuBackend::probe_user() const {
  if (!ids_ && fixed_.uid == 0) return std::nullopt;  // the VMs' QEMU runs as root too
  // nobody/nogroup: owns nothing, and no VM's uid (the probe boots no VM's files).
  constexpr uid_t nobody = 65534;
  return VmmUser{nobody, nobody, kvm_device_groups(settings_.kvm_device)};
}

std::vector<std::string> QemuBackend::command_line(const MachineConfig& machine, const std::string& accel,
                                                   QemuFiles& files) const {
  std::string append;
  for (const auto& arg : machine.kernel_args) append += arg + " ";
  append += "console=ttyS0";
  if (auto khz = host_tsc_khz()) append += fmt::format(" tsc_early_khz={}", *khz);

  // acpi=on: the Debian kernel finds virtio-mmio devices and the power button
  // through ACPI only. No PIT/PIC (ioapic instead), no option ROMs: faster boot.
  std::vector<std::string> argv{settings_.binary.string(),
                                "-M", "microvm,acpi=on,x-option-roms=off,pit=off,pic=off,rtc=on",
                                "-nodefaults", "-no-user-config", "-nographic",
                                // A guest reboot ends the VMM like a poweroff: banger restarts VMs.
                                "-no-reboot",
                                // Frozen until start() sends "cont".
                                "-S",
                                "-smp", std::to_string(machine.vcpus),
                                "-m", fmt::format("{}M", machine.memory_mib)};
  // A QEMU escape finds no syscall to gain privileges, spawn or change its limits with.
  const auto sandbox = qemu_sandbox_args(settings_.binary);
  argv.insert(argv.end(), sandbox.begin(), sandbox.end());
  argv.insert(argv.end(), {"-kernel", files.loader_file(machine.kernel)});
  if (!machine.initrd.empty()) argv.insert(argv.end(), {"-initrd", files.loader_file(machine.initrd)});
  argv.insert(argv.end(), {"-append", append});
  // On the relay's pty, QEMU's stdin/stdout (spawn_detached_on_tty); signal=off: a ^C typed on the
  // console is the guest's, not a signal to QEMU.
  const fs::path console_log = console_log_path(machine.runtime_dir);
  const fs::path qmp_socket = machine.runtime_dir / "qmp.sock";
  if (!files.passes_descriptors()) {
    if (machine.serial_tty.empty()) argv.insert(argv.end(), {"-serial", "file:" + console_log.string()});
    argv.insert(argv.end(), {"-qmp", "unix:" + qmp_socket.string() + ",server=on,wait=off"});
  } else {
    if (machine.serial_tty.empty())
      argv.insert(argv.end(), {"-chardev", files.console_log_chardev(console_log), "-serial", "chardev:serial0"});
    argv.insert(argv.end(), {"-chardev", files.qmp_chardev(qmp_socket), "-mon", "chardev=qmp,mode=control"});
  }
  if (!machine.serial_tty.empty())
    argv.insert(argv.end(), {"-chardev", "stdio,id=serial0,signal=off", "-serial", "chardev:serial0"});
  if (accel == "kvm")
    argv.insert(argv.end(), {"-accel", "kvm", "-cpu", "host"});
  else
    argv.insert(argv.end(), {"-accel", "tcg", "-cpu", "max"});
  for (const auto& drive : machine.drives) {
    argv.insert(argv.end(), {"-drive", fmt::format("id={},{},format=raw,if=none{}", drive.id,
                                                   files.drive_file(drive.path, drive.read_only),
                                                   drive.read_only ? ",readonly=on" : ""),
                             "-device", "virtio-blk-device,drive=" + drive.id});
  }
  for (const auto& iface : machine.interfaces) {
    argv.insert(argv.end(), {"-netdev", files.tap_netdev(iface.id, iface.tap),
                             "-device", fmt::format("virtio-net-device,netdev={}{}", iface.id,
                                                    iface.mac.empty() ? "" : ",mac=" + iface.mac)});
  }
  // Waits for the state configure() hands it (load_qemu_state) instead of booting;
  // everything else as at the cold boot the state comes from, so that it fits.
  if (!machine.restore_from.empty()) argv.insert(argv.end(), {"-incoming", "defer"});
  const auto& add_fds = files.add_fd_arguments();
  argv.insert(argv.end(), add_fds.begin(), add_fds.end());
  return argv;
}

std::string QemuBackend::launch(const MachineConfig& machine) {
  const fs::path socket = machine.runtime_dir / "qmp.sock";
  std::error_code ignored;
  fs::remove(socket, ignored);  // a stale socket of an earlier VMM
  const fs::path log = machine.runtime_dir / "vmm.log";
  const auto accel = accelerator(machine.kernel);
  const auto user = vmm_user(machine.vm_id);
  QemuFiles files(user.has_value(), user ? user->uid : 0);
  ProcessId process;
  try {
    const auto argv = command_line(machine, accel, files);
    std::optional<SpawnAs> as;
    if (user) as = SpawnAs{*user, files.descriptors()};
    process = machine.serial_tty.empty() ? spawn_detached(argv, log, as ? &*as : nullptr)
                                         : spawn_detached_on_tty(argv, machine.serial_tty, log, as ? &*as : nullptr);
  } catch (...) {
    fs::remove(socket, ignored);  // bound by bangerd (QemuFiles) for a QEMU that never ran
    throw;
  }
  json handles{{"pid", process.pid},
               {"start_time", process.start_time},
               {"qmp_socket", socket.string()},
               {"runtime_dir", machine.runtime_dir.string()},
               {"binary", settings_.binary.string()},
               {"accel", accel}};
  if (!machine.restore_from.empty()) handles["restoring"] = true;
  // Whom it runs as, for whoever reads the handles (the uid stays the VM's until its delete).
  if (user) {
    handles["uid"] = user->uid;
    handles["gid"] = user->gid;
  }
  return handles.dump();
}

void QemuBackend::configure(const std::string& handles, const MachineConfig& machine) {
  // Everything is on QEMU's command line; here only check that it came up,
  // or, for a restore, hand it the state to load.
  Handles h = parse(handles);
  auto qmp = connect(h, settings_.qmp_timeout);
  if (!machine.restore_from.empty()) {
    load_qemu_state(qmp, machine.restore_from, h.process, h.runtime_dir / "vmm.log");
    return;
  }
  auto state = qmp.status();
  if (state != "prelaunch" && state != "paused") fail("unexpected VMM state after launch: " + state);
}

void QemuBackend::start(const std::string& handles) {
  Handles h = parse(handles);
  auto qmp = connect(h, settings_.qmp_timeout);
  qmp.execute("cont");
  // A KVM internal error (e.g. "emulation failure" under nested
  // virtualization) pauses QEMU within moments instead of ending it: watch
  // briefly so that start fails clearly rather than leaving a frozen guest.
  // Under TCG there is no such error, and the watch would only delay Start.
  const int checks = h.accel == "tcg" ? 1 : 5;
  for (int i = 0; i < checks; ++i) {
    auto state = qmp.status();
    if (state == "internal-error") {
      // Ended here rather than left paused: the start then sees a VMM that died
      // under KVM, and accel = "auto" retries it on TCG (fall_back_after_failed_start).
      terminate(h.process, milliseconds(0));
      fail("the guest stopped on a KVM internal error (see vmm.log)");
    }
    if (state != "running") fail("the VMM is not running after start: " + state);
    if (i + 1 < checks) std::this_thread::sleep_for(milliseconds(50));
  }
}

void QemuBackend::stop(const std::string& handles, milliseconds timeout) {
  Handles h = parse(handles);
  if (is_running(h.process)) {
    bool asked = false;
    try {
      auto qmp = connect(h, settings_.qmp_timeout);
      auto state = qmp.status();
      // A paused guest cannot see the power button; one never started
      // (prelaunch) or stopped by an error has nobody to press it for.
      if (state == "paused") {
        qmp.execute("cont");
        state = "running";
      }
      // The ACPI power button: the guest's init powers off and QEMU exits.
      if (state == "running") {
        qmp.execute("system_powerdown");
        asked = true;
      }
    } catch (const Error& e) {
      log::warn("qemu: graceful stop of pid {}: {}", h.process.pid, e.what());
    }
    if (!asked || !wait_gone(h.process, timeout)) {
      // Asking QEMU to quit is worth a try only when QMP answered just now;
      // a hung VMM would only keep the stop waiting for another timeout.
      if (asked) {
        log::warn("qemu: guest of pid {} did not power off in time; quitting", h.process.pid);
        try {
          connect(h, settings_.qmp_timeout).execute("quit");
        } catch (const Error&) {
          // QEMU may close the connection before answering "quit".
        }
      }
      if (!wait_gone(h.process, milliseconds(2000))) terminate(h.process, milliseconds(2000));
    }
  }
  remove_sockets(h);
}

void QemuBackend::kill(const std::string& handles) {
  Handles h = parse(handles);
  terminate(h.process, milliseconds(0));
  remove_sockets(h);
}

void QemuBackend::pause(const std::string& handles) { connect(parse(handles), settings_.qmp_timeout).execute("stop"); }

void QemuBackend::resume(const std::string& handles) { connect(parse(handles), settings_.qmp_timeout).execute("cont"); }

VmmStatus QemuBackend::status(const std::string& handles) {
  Handles h = parse(handles);
  if (!is_running(h.process)) {
    remove_sockets(h);
    return VmmStatus::exited;
  }
  auto state = connect(h, settings_.qmp_timeout).status();
  if (state == "running") return VmmStatus::running;
  if (state == "internal-error" || state == "shutdown" || state == "guest-panicked") {
    log::warn("qemu: pid {} stopped in state {}; ending it", h.process.pid, state);
    kill(handles);
    return VmmStatus::exited;
  }
  return VmmStatus::paused;  // paused, prelaunch, debug, …: alive but not running
}

std::string QemuBackend::saved_state_format(const MachineConfig& machine) const {
  return qemu_saved_state_format(settings_.binary, command_line(machine), accelerator(machine.kernel));
}

std::uint64_t QemuBackend::save_state(const std::string& handles, const fs::path& dir) {
  Handles h = parse(handles);
  auto qmp = connect(h, settings_.qmp_timeout);
  return save_qemu_state(qmp, dir, h.process);
}

bool QemuBackend::adopt(const std::string& handles) {
  Handles h = parse(handles);
  // Not a process that took the pid and happened to start in the same clock
  // tick: QEMU's command line names this VM's runtime dir (its -qmp socket).
  // Not argv[0] either: with [vmm] qemu a script, that is the interpreter's.
  if (!is_running(h.process) || !command_line_mentions(h.process.pid, (h.runtime_dir / "").string())) return false;
  try {
    connect(h, settings_.qmp_timeout).status();
    return true;
  } catch (const Error&) {
    return false;
  }
}

std::unique_ptr<VmmBackend> make_qemu_backend(const Config& config) {
  QemuSettings settings = config.qemu;
  settings.kvm_verdict_file = kvm_verdict_file_in(config.runtime_dir);
  return std::make_unique<QemuBackend>(std::move(settings), make_vmm_ids(config.firecracker, config.state_dir),
                                       configured_owner(config.firecracker));
}

}  // namespace banger
