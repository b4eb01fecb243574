#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "banger_build_config.h"
#include "unit_source_root.h"
#include "config.h"

namespace banger {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::string error_of(std::string_view text) {
  try {
    parse_config(text, "bangerd.toml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "<no error>";
}

// Everything but the directories, whose defaults depend on how bangerd was built.
void expect_same_settings(const Config& a, const Config& b) {
  EXPECT_EQ(a.workers, b.workers);
  EXPECT_EQ(a.lock_timeout, b.lock_timeout);
  EXPECT_EQ(a.operation_linger, b.operation_linger);
  EXPECT_EQ(a.polkit, b.polkit);
  EXPECT_EQ(a.console_log_max_bytes, b.console_log_max_bytes);
  EXPECT_EQ(a.backend, b.backend);
  EXPECT_EQ(a.default_vcpus, b.default_vcpus);
  EXPECT_EQ(a.default_memory_mib, b.default_memory_mib);
  EXPECT_EQ(a.default_image, b.default_image);
  EXPECT_EQ(a.stop_timeout, b.stop_timeout);
  EXPECT_EQ(a.suspend_at_host_shutdown, b.suspend_at_host_shutdown);
  EXPECT_EQ(a.idle_cpu_percent, b.idle_cpu_percent);
  EXPECT_EQ(a.default_subnet, b.default_subnet);
  EXPECT_EQ(a.dnsmasq, b.dnsmasq);
  EXPECT_EQ(a.ssh_timeout, b.ssh_timeout);
  EXPECT_EQ(a.stats_interval, b.stats_interval);
  EXPECT_EQ(a.firecracker.jailer_uid_base, b.firecracker.jailer_uid_base);  // issue 8
  EXPECT_EQ(a.firecracker.jailer_uid_count, b.firecracker.jailer_uid_count);
}

void expect_same(const Config& a, const Config& b) {
  EXPECT_EQ(a.state_dir, b.state_dir);
  EXPECT_EQ(a.runtime_dir, b.runtime_dir);
  expect_same_settings(a, b);
}

// [quotas] (users)
void expect_same_quotas(const UserQuota& a, const UserQuota& b) {
  EXPECT_EQ(a.max_vms, b.max_vms);
  EXPECT_EQ(a.max_vcpus, b.max_vcpus);
  EXPECT_EQ(a.max_memory_mib, b.max_memory_mib);
  EXPECT_EQ(a.max_disk_mib, b.max_disk_mib);
}

TEST(Config, QuotasHaveDefaultsAndReadEveryKeyWithZeroUnlimited) {
  const UserQuota defaults = default_config().quotas;
  EXPECT_EQ(defaults.max_vms, 32u);
  EXPECT_EQ(defaults.max_vcpus, 64u);
  EXPECT_EQ(defaults.max_memory_mib, 65536u);
  EXPECT_EQ(defaults.max_disk_mib, 524288u);
  const Config c =
      parse_config("[quotas]\nmax_vms = 0\nmax_vcpus = 7\nmax_memory_mib = 3000\nmax_disk_mib = 0\n");
  EXPECT_EQ(c.quotas.max_vms, 0u);
  EXPECT_EQ(c.quotas.max_vcpus, 7u);
  EXPECT_EQ(c.quotas.max_memory_mib, 3000u);
  EXPECT_EQ(c.quotas.max_disk_mib, 0u);
  EXPECT_THROW(parse_config("[quotas]\nmax_vms = -1\n"), ConfigError);
  EXPECT_THROW(parse_config("[quotas]\nmax_cpus = 1\n"), ConfigError);
}

TEST(Config, ForwardLimitsHaveDefaultsAndAreNeverUnlimited) {
  EXPECT_EQ(default_config().max_forwards_per_vm, 64u);
  EXPECT_EQ(default_config().max_forwards_per_owner, 256u);
  const Config c = parse_config("[quotas]\nmax_forwards_per_vm = 3\nmax_forwards = 9\n");
  EXPECT_EQ(c.max_forwards_per_vm, 3u);
  EXPECT_EQ(c.max_forwards_per_owner, 9u);
  EXPECT_THROW(parse_config("[quotas]\nmax_forwards = 0\n"), ConfigError);
}

TEST(Config, DefaultsMatchTheDocumentedValues) {
  const Config c = default_config();
  EXPECT_EQ(c.state_dir, fs::path(BANGER_DEFAULT_STATE_DIR));
  EXPECT_EQ(c.runtime_dir, fs::path(BANGER_DEFAULT_RUNTIME_DIR));
  EXPECT_EQ(c.workers, 4u);
  EXPECT_EQ(c.lock_timeout, milliseconds(30000));
  EXPECT_EQ(c.operation_linger, seconds(60));
  EXPECT_TRUE(c.polkit);
  EXPECT_EQ(c.console_log_max_bytes, 1048576u);
  EXPECT_EQ(c.backend, "auto");
  EXPECT_EQ(c.default_vcpus, 1u);
  EXPECT_EQ(c.default_memory_mib, 512u);
  EXPECT_EQ(c.default_image, "") << "unset: the store's default image";
  EXPECT_EQ(c.stop_timeout, seconds(30));
  EXPECT_EQ(c.stats_interval, seconds(2));
}

TEST(Config, EmptyTextAndEmptySectionsGiveDefaults) {
  expect_same(parse_config(""), default_config());
  expect_same(parse_config("# nothing\n[daemon]\n[vm]\n"), default_config());
}

TEST(Config, ReadsEveryKey) {
  const Config c = parse_config(R"(
[daemon]
state_dir = "/srv/banger/state"
runtime_dir = "/tmp/banger-run"
workers = 9
lock_timeout_ms = 250
operation_linger_s = 0
polkit = false
console_log_max_bytes = 8192

[vmm]
backend = "cloud-hypervisor"

[vm]
default_vcpus = 256
default_memory_mib = 128
default_image = "alpine-3.19"
stop_timeout_s = 3600
)");
  EXPECT_EQ(c.state_dir, fs::path("/srv/banger/state"));
  EXPECT_EQ(c.runtime_dir, fs::path("/tmp/banger-run"));
  EXPECT_EQ(c.workers, 9u);
  EXPECT_EQ(c.lock_timeout, milliseconds(250));
  EXPECT_EQ(c.operation_linger, seconds(0));
  EXPECT_FALSE(c.polkit);
  EXPECT_EQ(c.console_log_max_bytes, 8192u);
  EXPECT_EQ(c.backend, "cloud-hypervisor");
  EXPECT_EQ(c.default_vcpus, 256u);
  EXPECT_EQ(c.default_memory_mib, 128u);
  EXPECT_EQ(c.default_image, "alpine-3.19");
  EXPECT_EQ(c.stop_timeout, seconds(3600));
}

TEST(Config, UnsetKeysKeepDefaults) {
  Config expected = default_config();
  expected.default_vcpus = 2;
  expect_same(parse_config("vm.default_vcpus = 2\n"), expected);
}

struct IntKey {
  const char* section;
  const char* key;
  long long min, max;
};

TEST(Config, IntegerBoundsAreInclusiveAndEnforced) {
  const IntKey keys[] = {
      {"daemon", "workers", 1, 64},           {"daemon", "lock_timeout_ms", 0, 3600000},
      {"daemon", "operation_linger_s", 0, 86400},
      {"vm", "default_vcpus", 1, 256},        {"vm", "default_memory_mib", 128, 1048576},
      {"vm", "stop_timeout_s", 0, 3600},       {"network", "ssh_timeout_s", 1, 600},
      {"vm", "idle_cpu_percent", 1, 100},     // issue 19: idle sleep's CPU threshold
      {"daemon", "console_log_max_bytes", 4096, 1LL << 40},
      {"daemon", "max_transfers", 1, 256},    {"daemon", "max_transfers_per_user", 1, 256},
      {"firecracker", "jailer_cgroup_version", 1, 2},
      {"firecracker", "jailer_uid_base", 1, 4294901759},  // issue 8: per-VM jailer uids
      {"firecracker", "jailer_uid_count", 0, 65535},
      {"stats", "interval_s", 0, 3600},
  };
  for (const auto& k : keys) {
    SCOPED_TRACE(std::string(k.section) + "." + k.key);
    const auto doc = [&](const std::string& value) {
      return "[" + std::string(k.section) + "]\n" + k.key + " = " + value + "\n";
    };
    const std::string message = std::string("bangerd.toml: ") + k.section + "." + k.key +
                                ": must be an integer between " + std::to_string(k.min) + " and " +
                                std::to_string(k.max);
    EXPECT_NO_THROW(parse_config(doc(std::to_string(k.min))));
    EXPECT_NO_THROW(parse_config(doc(std::to_string(k.max))));
    EXPECT_EQ(error_of(doc(std::to_string(k.min - 1))), message);
    EXPECT_EQ(error_of(doc(std::to_string(k.max + 1))), message);
    EXPECT_EQ(error_of(doc("\"8\"")), message);
    EXPECT_EQ(error_of(doc("8.0")), message);
  }
}

TEST(Config, WrongTypesNameTheKey) {
  EXPECT_EQ(error_of("[vmm]\nbackend = \"\"\n"), "bangerd.toml: vmm.backend: must be a non-empty string");
  EXPECT_EQ(error_of("[vmm]\nqemu = \"\"\n"), "bangerd.toml: vmm.qemu: must be a non-empty string");
  EXPECT_EQ(error_of("[vm]\ndefault_image = 3\n"), "bangerd.toml: vm.default_image: must be a string");
  EXPECT_EQ(error_of("[daemon]\nstate_dir = [\"/a\"]\n"),
            "bangerd.toml: daemon.state_dir: must be a non-empty string");
  EXPECT_EQ(error_of("[daemon]\nruntime_dir = \"\"\n"),
            "bangerd.toml: daemon.runtime_dir: must be a non-empty string");
  EXPECT_EQ(error_of("[daemon]\npolkit = \"no\"\n"), "bangerd.toml: daemon.polkit: must be true or false");
  EXPECT_EQ(error_of("[daemon]\npolkit = 0\n"), "bangerd.toml: daemon.polkit: must be true or false");
}

TEST(Config, DefaultSubnetIsAPrivateCidr) {
  EXPECT_EQ(parse_config("[network]\ndefault_subnet = \"192.168.50.0/24\"\n").default_subnet, "192.168.50.0/24");
  EXPECT_EQ(error_of("[network]\ndefault_subnet = \"8.8.8.0/24\"\n").rfind("bangerd.toml: network.default_subnet: ", 0),
            0u);
  EXPECT_EQ(error_of("[network]\ndefault_subnet = 24\n"), "bangerd.toml: network.default_subnet: must be a string");
}

TEST(Config, BackendSections) {
  auto c = parse_config("[vmm]\nfirecracker = \"/opt/fc\"\njailer = \"/opt/jailer\"\n"
                        "[firecracker]\njailer_uid = 123\napi_timeout_ms = 250\n[qemu]\naccel = \"tcg\"\n",
                        "bangerd.toml");
  EXPECT_EQ(c.firecracker.binary, "/opt/fc");
  EXPECT_EQ(c.firecracker.jailer, "/opt/jailer");
  EXPECT_EQ(c.firecracker.jailer_uid, 123u);
  EXPECT_EQ(c.firecracker.api_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(c.qemu.accel, "tcg");
  EXPECT_EQ(c.qemu.binary, find_on_path("qemu-system-x86_64", "/usr/bin/qemu-system-x86_64"));
  EXPECT_EQ(parse_config("[vmm]\nqemu = \"/opt/qemu\"\n").qemu.binary, "/opt/qemu");
  // The binaries' old homes are gone: one place names them.
  EXPECT_EQ(error_of("[firecracker]\nbinary = \"/opt/fc\"\n"), "bangerd.toml: firecracker.binary: unknown key");
  EXPECT_EQ(error_of("[vm]\nbackend = \"qemu\"\n"), "bangerd.toml: vm.backend: unknown key");
  EXPECT_EQ(error_of("[qemu]\naccel = \"hvf\"\n"), "bangerd.toml: qemu.accel: must be one of auto, kvm, tcg");
  EXPECT_EQ(c.qemu.qmp_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(parse_config("[qemu]\nqmp_timeout_ms = 750\n").qemu.qmp_timeout, std::chrono::milliseconds(750));
  EXPECT_EQ(error_of("[qemu]\nqmp_timeout_ms = 0\n").rfind("bangerd.toml: qemu.qmp_timeout_ms: ", 0), 0u);
  EXPECT_EQ(error_of("[firecracker]\napi_timeout_ms = 5\n"),
            "bangerd.toml: firecracker.api_timeout_ms: must be an integer between 100 and 600000");
}

TEST(Config, JailerCgroupsAreAssignments) {
  EXPECT_EQ(default_config().firecracker.jailer_cgroup_version, 2);
  EXPECT_TRUE(default_config().firecracker.jailer_cgroups.empty());
  auto c = parse_config("[firecracker]\njailer_cgroup_version = 1\n"
                        "jailer_cgroups = [\"cpu.max=50000 100000\", \"memory.max=1G\"]\n");
  EXPECT_EQ(c.firecracker.jailer_cgroup_version, 1);
  EXPECT_EQ(c.firecracker.jailer_cgroups, (std::vector<std::string>{"cpu.max=50000 100000", "memory.max=1G"}));
  const std::string message = "bangerd.toml: firecracker.jailer_cgroups: must be an array of \"<name>=<value>\" strings";
  for (const char* bad : {"\"cpu.max=1\"", "[\"cpu.max\"]", "[\"=1\"]", "[\"a b=1\"]", "[3]", "[\"../x=1\"]"})
    EXPECT_EQ(error_of(std::string("[firecracker]\njailer_cgroups = ") + bad + "\n"), message) << bad;
}

TEST(Config, UnknownNamesAreReported) {
  EXPECT_EQ(error_of("[vm]\ncolour = \"red\"\n"), "bangerd.toml: vm.colour: unknown key");
  EXPECT_EQ(error_of("[daemon.extra]\nx = 1\n"), "bangerd.toml: daemon.extra: unknown key");
  EXPECT_EQ(error_of("[network]\nbridge = \"br0\"\n"), "bangerd.toml: network.bridge: unknown key");
  EXPECT_EQ(error_of("[dns]\nx = 1\n"),
            "bangerd.toml: dns: unknown section (expected [daemon], [vmm], [vm], [network], [ports], [firecracker], [qemu], [doctor], [stats], [console] or [quotas])");
  EXPECT_EQ(error_of("workers = 4\n"), "bangerd.toml: workers: unknown key (settings belong in a section: [daemon], [vmm], [vm], [network], [ports], [firecracker], [qemu], [doctor], [stats], [console] or [quotas])");
  EXPECT_EQ(error_of("vm = 3\n"), "bangerd.toml: vm: must be a table");
}

TEST(Config, SyntaxErrorsGiveLineAndColumn) {
  const std::string bad_value = error_of("[daemon]\n\nworkers = = 3\n");
  EXPECT_EQ(bad_value.rfind("bangerd.toml: line 3, column ", 0), 0u) << bad_value;
  const std::string duplicate = error_of("[vm]\ndefault_vcpus = 1\ndefault_vcpus = 2\n");
  EXPECT_EQ(duplicate.rfind("bangerd.toml: line 3, column ", 0), 0u) << duplicate;
}

TEST(Config, NoPathUsesDefaultsWithoutAnInstalledFile) {
  if (fs::exists(BANGER_DEFAULT_CONFIG)) GTEST_SKIP() << BANGER_DEFAULT_CONFIG << " exists on this machine";
  expect_same(load_config(std::nullopt), default_config());
}

fs::path shipped_config() {
#ifdef BANGER_SOURCE_ROOT
  return fs::path(BANGER_SOURCE_ROOT) / "data" / "bangerd.toml";
#else
  return fs::path(__FILE__).parent_path() / ".." / ".." / "data" / "bangerd.toml";
#endif
}

// The shipped file must stay in step with the parser: as shipped it changes
// nothing, and uncommenting every key must parse back to the defaults.
TEST(Config, ShippedFileDocumentsEveryKeyWithItsDefault) {
  const fs::path file = shipped_config();
  if (!fs::exists(file)) GTEST_SKIP() << "source tree not found at " << file;
  std::ifstream in(file);
  std::stringstream original;
  original << in.rdbuf();
  expect_same(parse_config(original.str(), "bangerd.toml"), default_config());

  // A commented-out setting looks like "#key = value"; prose comments have a space after '#'.
  std::set<std::string> keys;
  std::string uncommented, line;
  std::istringstream lines(original.str());
  while (std::getline(lines, line)) {
    const auto name_end = line.find_first_not_of("abcdefghijklmnopqrstuvwxyz_", 1);
    if (line.starts_with('#') && name_end != std::string::npos && name_end > 1 &&
        line.compare(name_end, 3, " = ") == 0) {
      keys.insert(line.substr(1, name_end - 1));
      line.erase(0, 1);
    }
    uncommented += line + "\n";
  }
  EXPECT_EQ(keys, (std::set<std::string>{"state_dir", "runtime_dir", "workers", "lock_timeout_ms",
                                         "operation_linger_s", "polkit", "console_log_max_bytes",
                                         "max_transfers", "max_transfers_per_user",
                                         // [vmm]
                                         "backend", "firecracker", "jailer", "qemu",
                                         "default_vcpus", "default_memory_mib", "default_image",
                                         "stop_timeout_s", "at_host_shutdown", "idle_cpu_percent",
                                         // [network]
                                         "default_subnet", "dnsmasq", "ssh_timeout_s",
                                         // [ports]
                                         "interval_s",
                                         // [firecracker] and [qemu]
                                         "jailer_uid", "jailer_gid", "chroot_base",
                                         "jailer_cgroup_version", "jailer_cgroups",
                                         "api_timeout_ms", "accel",
                                         // [qemu] (VMM faults)
                                         "qmp_timeout_ms",
                                         // [firecracker], issue 8: per-VM jailer uids
                                         "jailer_uid_base", "jailer_uid_count",
                                         // [doctor]
                                         "disk_warn_mib", "disk_fail_mib",
                                         // [stats]
                                         "interval_s",
                                         // [console]
                                         "relay",
                                         // [quotas]
                                         "max_vms", "max_vcpus", "max_memory_mib", "max_disk_mib", "max_forwards_per_vm", "max_forwards"}));
  const Config parsed = parse_config(uncommented, "bangerd.toml");
  expect_same_settings(parsed, default_config());
  expect_same_quotas(parsed.quotas, default_config().quotas);
  EXPECT_EQ(parsed.max_forwards_per_vm, default_config().max_forwards_per_vm);
  EXPECT_EQ(parsed.max_forwards_per_owner, default_config().max_forwards_per_owner);
  EXPECT_EQ(parsed.max_transfers, default_config().max_transfers);
  EXPECT_EQ(parsed.max_transfers_per_user, default_config().max_transfers_per_user);
  EXPECT_TRUE(parsed.state_dir.is_absolute());
  EXPECT_TRUE(parsed.runtime_dir.is_absolute());
}

}  // namespace
}  // namespace banger
