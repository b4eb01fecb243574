#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/quotas.h"

namespace banger {

// [firecracker] (binary and jailer come from [vmm]): how the Firecracker backend launches its VMM.
struct FirecrackerSettings {
  std::filesystem::path binary = "/usr/bin/firecracker";
  std::filesystem::path jailer;  // empty: run firecracker directly, else launch through this jailer
  std::uint32_t jailer_uid = 0;
  std::uint32_t jailer_gid = 0;
  // Per-VM jailer uids (issue 8, least privilege): each jailed VMM runs as its
  // own uid = gid from [jailer_uid_base, jailer_uid_base + jailer_uid_count);
  // count 0 runs every jailed VMM as the fixed jailer_uid/jailer_gid instead.
  std::uint32_t jailer_uid_base = 900000;
  std::uint32_t jailer_uid_count = 64;
  std::filesystem::path chroot_base = "/srv/jailer";
  int jailer_cgroup_version = 2;            // the host's cgroup hierarchy: 1 or 2
  std::vector<std::string> jailer_cgroups;  // "<file>=<value>", e.g. "cpu.max=50000 100000"
  std::chrono::milliseconds api_timeout{5000};  // one request to the API socket
};

// [qemu] (binary comes from [vmm]): how the QEMU microvm backend launches its VMM.
struct QemuSettings {
  std::filesystem::path binary = "/usr/bin/qemu-system-x86_64";
  std::string accel = "auto";  // auto (KVM when it really runs a guest, else TCG) | kvm | tcg
  std::chrono::milliseconds qmp_timeout{5000};  // connecting to QMP and each reply; a hung QEMU fails the call
  // Not config keys. accel = "auto": where the KVM verdict (vmm/qemu/kvm_verdict.h) is kept
  // across restarts (bangerd: <runtime_dir>/kvm-verdict; empty: this process only), the device
  // the ioctl probe opens, and how long the boot probe may take.
  std::filesystem::path kvm_verdict_file;
  std::filesystem::path kvm_device = "/dev/kvm";
  std::chrono::milliseconds kvm_probe_timeout{6000};
};

// bangerd's settings. Every key of the TOML file is optional; see
// data/bangerd.toml for the documented defaults.
struct Config {
  // [daemon]
  std::filesystem::path state_dir;    // default: BANGER_DEFAULT_STATE_DIR
  std::filesystem::path runtime_dir;  // default: BANGER_DEFAULT_RUNTIME_DIR
  unsigned workers = 4;                          // worker threads for long operations
  std::chrono::milliseconds lock_timeout{30000};  // waiting for a busy VM longer answers Busy
  std::chrono::seconds operation_linger{60};      // finished Operation objects stay this long
  bool polkit = true;  // false only for tests of the daemon without polkitd: then only uid 0 is allowed
  std::uint64_t console_log_max_bytes = 1024 * 1024;  // each VM's console.log keeps about this much

  // [vmm]; the binaries' paths live in the backends' settings below.
  std::string backend = "auto";  // auto: firecracker when its binary is installed, else qemu

  // [vm]
  std::uint32_t default_vcpus = 1;
  std::uint32_t default_memory_mib = 512;
  std::string default_image;  // empty: the image marked default in the store
  std::chrono::seconds stop_timeout{30};  // graceful stop waits this long, then kills
  // at_host_shutdown = "suspend" (issue 19): running VMs are suspended to disk
  // when the host shuts down (stopped when that fails); autostart VMs come back
  // where they were. "stop" (the default): a graceful stop.
  bool suspend_at_host_shutdown = false;
  // idle_cpu_percent: a VM with IdleSuspendSeconds counts as idle while its VMM
  // uses under this share of one CPU (core/idle_suspend.h); 1..100.
  unsigned idle_cpu_percent = 2;

  // [network]
  std::string default_subnet = "10.219.0.0/24";  // the default network's first candidate subnet
  std::filesystem::path dnsmasq = "/usr/sbin/dnsmasq";  // each network's DNS server
  std::chrono::seconds ssh_timeout{60};  // Start waits this long for the guest's SSH server

  // [ports]
  std::chrono::seconds ports_interval{2};  // a running guest's listening ports are listed this often; 0: never

  FirecrackerSettings firecracker;
  QemuSettings qemu;

  // [doctor]: free space in the state directory below which Doctor warns / fails.
  std::uint64_t doctor_disk_warn_mib = 10240;
  std::uint64_t doctor_disk_fail_mib = 1024;
  // [stats]
  std::chrono::seconds stats_interval{2};  // how often running VMs' stats are sampled; 0: never
  // [console]
  // The console relay each running VM gets (its interactive serial console);
  // default: banger-console-relay beside bangerd. Empty: none (no OpenConsole;
  // the VMM writes the console log itself).
  std::filesystem::path console_relay;
  // [quotas]: per owner uid, root exempt (core/quotas.h)
  UserQuota quotas;
  // [quotas] max_forwards_per_vm, max_forwards: port forwards per VM and per
  // owner uid, root's included (capabilities/port_forwards.h ForwardLimits).
  std::size_t max_forwards_per_vm = 64;
  std::size_t max_forwards_per_owner = 256;
  // [daemon] max_transfers, max_transfers_per_user: workspace transfers at
  // once, each on a thread of its own (core/transfer_slots.h); root is held
  // to the first only.
  std::size_t max_transfers = 16;
  std::size_t max_transfers_per_user = 4;
};

// Parses TOML text. Unknown sections or keys, wrong types and out-of-range
// values throw ConfigError naming the key ("vm.default_vcpus: ...").
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The defaults; the VMM binaries are looked up on $PATH (else their usual /usr/bin path).
Config default_config();
// The first executable `name` in the directories of $PATH, else `fallback`.
std::filesystem::path find_on_path(std::string_view name, const std::filesystem::path& fallback);
Config parse_config(std::string_view toml_text, const std::string& source_name = "config");

// path == nullopt: read BANGER_DEFAULT_CONFIG if it exists, else defaults.
// path given: the file must exist (ConfigError otherwise).
Config load_config(const std::optional<std::filesystem::path>& path);

}  // namespace banger
