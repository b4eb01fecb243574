#include "vmm/qemu/kvm_verdict.h"
#include "vmm/qemu/qemu_sandbox.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/boot_id.h"
#include "core/errors.h"
#include "core/log.h"
#include "doctor/command_output.h"
#include "vmm/qemu/host_tsc.h"

namespace banger {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string read_all(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// QEMU's last words (an assertion, "failed to initialize kvm"), one line, for the reason.
std::string last_line(const std::string& output) {
  std::string line, last;
  std::istringstream in(output);
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last;
}

// The setpriv(1) command line that runs the rest as `as`: its ids and groups,
// no capability in any set, none to regain. Empty without setpriv (util-linux).
std::vector<std::string> run_as(const VmmUser& as) {
  const fs::path setpriv = "/usr/bin/setpriv";
  if (access(setpriv.c_str(), X_OK) != 0) return {};
  std::string groups;
  for (gid_t group : as.groups) groups += (groups.empty() ? "" : ",") + std::to_string(group);
  return {setpriv.string(),
          fmt::format("--reuid={}", as.uid),
          fmt::format("--regid={}", as.gid),
          groups.empty() ? "--clear-groups" : "--groups=" + groups,
          "--inh-caps=-all",
          "--bounding-set=-all",
          "--no-new-privs",
          "--"};
}

// A directory of `as` alone under `scratch` holding a copy of `kernel` (which
// sits in bangerd's closed state dir); removed when it goes.
class ProbeDir {
 public:
  ProbeDir(const fs::path& scratch, const fs::path& kernel, const VmmUser& as)
      : dir_(scratch / fmt::format("kvm-probe-{}", getpid())) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    fs::create_directories(dir_, ec);
    if (!ec) fs::copy_file(kernel, dir_ / "kernel", ec);
    if (ec || chown(dir_.c_str(), as.uid, as.gid) != 0 || chmod(dir_.c_str(), 0700) != 0 ||
        chown((dir_ / "kernel").c_str(), as.uid, as.gid) != 0) {
      fs::remove_all(dir_, ec);
      throw Error(ErrorKind::backend_failed, fmt::format("qemu: cannot prepare the KVM probe in {}", dir_.string()));
    }
  }
  ~ProbeDir() {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  const fs::path& path() const { return dir_; }

 private:
  fs::path dir_;
};

}  // namespace

KvmVerdict boot_probe_kvm(const fs::path& qemu, const fs::path& kernel_file, const fs::path& scratch,
                          std::chrono::milliseconds timeout, const VmmUser* as) {
  std::vector<std::string> argv = as ? run_as(*as) : std::vector<std::string>{};
  if (as && argv.empty()) log::warn("qemu: no /usr/bin/setpriv: the KVM probe runs as root");
  std::optional<ProbeDir> own;
  fs::path kernel = kernel_file;
  fs::path serial_dir = scratch;
  if (!argv.empty() && access(kernel_file.c_str(), R_OK) == 0) {
    own.emplace(scratch, kernel_file, *as);
    kernel = own->path() / "kernel";
    serial_dir = own->path();
  }
  // The VMs' own machine (backend's command_line), minus disks and devices: what
  // fails under nested virtualization is the guest kernel's early CPU setup.
  std::string append = "console=ttyS0 panic=-1";
  if (auto khz = host_tsc_khz()) append += fmt::format(" tsc_early_khz={}", *khz);
  const fs::path serial = serial_dir / fmt::format("kvm-probe-{}.serial", getpid());
  std::error_code ignored;
  fs::remove(serial, ignored);
  // A kernel QEMU cannot load says nothing about KVM: no verdict then.
  if (access(kernel.c_str(), R_OK) != 0 || !fs::is_regular_file(kernel, ignored))
    throw Error(ErrorKind::backend_failed, fmt::format("qemu: cannot read the kernel {}", kernel.string()));
  argv.push_back(qemu.string());
  const auto sandbox = qemu_sandbox_args(qemu);
  argv.insert(argv.end(), sandbox.begin(), sandbox.end());
  argv.insert(argv.end(), {"-M", "microvm,acpi=on,x-option-roms=off,pit=off,pic=off,rtc=on", "-nodefaults",
       "-no-user-config", "-display", "none", "-no-reboot", "-accel", "kvm", "-cpu", "host", "-smp", "2", "-m",
       "128M", "-kernel", kernel.string(), "-append", append, "-serial", "file:" + serial.string()});
  const auto run = doctor::command_output(argv, timeout);
  const std::string console = read_all(serial);
  fs::remove(serial, ignored);
  if (console.find("Kernel panic") != std::string::npos)
    return {true, fmt::format("a probe guest ({}) booted under KVM", kernel.filename().string())};
  if (!run.problem.empty()) {
    const auto stopped_at = last_line(console);
    return {false, fmt::format("a probe guest did not boot under KVM: {} ({})", run.problem,
                               stopped_at.empty() ? "nothing on its console" : "its console stops at: " + stopped_at)};
  }
  const auto words = last_line(run.output);
  const auto how = run.exit_code < 0 ? std::string("QEMU was killed by a signal")
                                     : fmt::format("QEMU ended with status {}", run.exit_code);
  return {false, fmt::format("a probe guest did not boot under KVM: {}{}", how, words.empty() ? "" : ": " + words)};
}

KvmVerdict decide_kvm(const KvmProbeResult& ioctl_probe, const fs::path& qemu, const fs::path& kernel,
                      const fs::path& scratch, std::chrono::milliseconds timeout, const VmmUser* as) {
  if (!ioctl_probe.usable) return {false, ioctl_probe.reason};
  return boot_probe_kvm(qemu, kernel, scratch, timeout, as);
}

std::string kvm_verdict_key(const fs::path& qemu, const fs::path& boot_id_source) {
  struct stat st {};
  if (stat(qemu.c_str(), &st) != 0) return {};  // no binary: nothing worth a verdict
  return fmt::format("{} {} {} {}", read_boot_id(boot_id_source), qemu.string(), st.st_size,
                     st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec);
}

std::optional<KvmVerdict> read_kvm_verdict(const fs::path& file, const std::string& key) {
  if (key.empty()) return std::nullopt;
  auto j = json::parse(read_all(file), nullptr, false);
  if (!j.is_object() || !j.contains("key") || !j["key"].is_string() || j["key"] != key) return std::nullopt;
  if (!j.contains("usable") || !j["usable"].is_boolean() || !j.contains("reason") || !j["reason"].is_string())
    return std::nullopt;
  return KvmVerdict{j["usable"].get<bool>(), j["reason"].get<std::string>()};
}

void write_kvm_verdict(const fs::path& file, const std::string& key, const KvmVerdict& verdict) {
  if (file.empty() || key.empty()) return;
  try {
    write_file_atomically(file, json{{"key", key}, {"usable", verdict.usable}, {"reason", verdict.reason}}.dump() + "\n",
                          0644);
  } catch (const std::exception& e) {
    log::warn("qemu: cannot record the KVM verdict in {}: {}", file.string(), e.what());
  }
}

}  // namespace banger
