#include "config.h"

#include <array>
#include <cstdint>
#include <fstream>
#include <span>
#include <sstream>
#include <string_view>
#include <system_error>

#include <unistd.h>

#include <cstdlib>

#include <toml++/toml.h>

#include "banger_build_config.h"
#include "core/errors.h"
#include "core/network_manager.h"
#include "core/ipv4.h"

namespace banger {

namespace {

// One key's value plus enough context to name it in an error message.
class Field {
 public:
  Field(const std::string& source, std::string_view section, std::string_view key, const toml::node& node)
      : source_(source), section_(section), key_(key), node_(node) {}

  [[noreturn]] void fail(std::string_view problem) const {
    throw ConfigError(source_ + ": " + std::string(section_) + "." + std::string(key_) + ": " +
                      std::string(problem));
  }

  // Wrong type and out of range share one message: either way the fix is the same.
  std::int64_t integer(std::int64_t min, std::int64_t max) const {
    const auto* v = node_.as_integer();
    if (v == nullptr || v->get() < min || v->get() > max)
      fail("must be an integer between " + std::to_string(min) + " and " + std::to_string(max));
    return v->get();
  }

  std::string non_empty_string() const {
    const auto* v = node_.as_string();
    if (v == nullptr || v->get().empty()) fail("must be a non-empty string");
    return v->get();
  }

  std::string string() const {
    const auto* v = node_.as_string();
    if (v == nullptr) fail("must be a string");
    return v->get();
  }

  std::string one_of(std::initializer_list<std::string_view> choices) const {
    const auto* v = node_.as_string();
    std::string list;
    for (auto c : choices) {
      if (v != nullptr && v->get() == c) return v->get();
      list += (list.empty() ? "" : ", ") + std::string(c);
    }
    fail("must be one of " + list);
  }

  // Strings of the form "<name>=<value>", the name made of [a-z0-9._-].
  std::vector<std::string> assignments() const {
    const auto* array = node_.as_array();
    std::vector<std::string> out;
    if (array != nullptr) {
      for (const auto& item : *array) {
        const auto* v = item.as_string();
        const std::string text = v ? v->get() : std::string();
        const auto eq = text.find('=');
        if (v == nullptr || eq == 0 || eq == std::string::npos ||
            text.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789._-") < eq)
          fail("must be an array of \"<name>=<value>\" strings");
        out.push_back(text);
      }
      return out;
    }
    fail("must be an array of \"<name>=<value>\" strings");
  }

  bool boolean() const {
    const auto* v = node_.as_boolean();
    if (v == nullptr) fail("must be true or false");
    return v->get();
  }

 private:
  const std::string& source_;
  std::string_view section_;
  std::string_view key_;
  const toml::node& node_;
};

struct Key {
  std::string_view name;
  void (*apply)(Config&, const Field&);
};

struct Section {
  std::string_view name;
  std::span<const Key> keys;
};

// Adding a setting: a member in config.h, an entry here, and a documented
// line in data/bangerd.toml (a unit test checks the file covers every key).
constexpr std::array daemon_keys{
    Key{"state_dir", [](Config& c, const Field& f) { c.state_dir = f.non_empty_string(); }},
    Key{"runtime_dir", [](Config& c, const Field& f) { c.runtime_dir = f.non_empty_string(); }},
    Key{"workers", [](Config& c, const Field& f) { c.workers = static_cast<unsigned>(f.integer(1, 64)); }},
    Key{"lock_timeout_ms",
        [](Config& c, const Field& f) { c.lock_timeout = std::chrono::milliseconds(f.integer(0, 3'600'000)); }},
    Key{"operation_linger_s",
        [](Config& c, const Field& f) { c.operation_linger = std::chrono::seconds(f.integer(0, 86'400)); }},
    Key{"polkit", [](Config& c, const Field& f) { c.polkit = f.boolean(); }},
    Key{"console_log_max_bytes",
        [](Config& c, const Field& f) {
          c.console_log_max_bytes = static_cast<std::uint64_t>(f.integer(4096, std::int64_t{1} << 40));
        }},
    Key{"max_transfers", [](Config& c, const Field& f) { c.max_transfers = static_cast<std::size_t>(f.integer(1, 256)); }},
    Key{"max_transfers_per_user",
        [](Config& c, const Field& f) { c.max_transfers_per_user = static_cast<std::size_t>(f.integer(1, 256)); }},
};

constexpr std::array vmm_keys{
    Key{"backend", [](Config& c, const Field& f) { c.backend = f.non_empty_string(); }},
    Key{"firecracker", [](Config& c, const Field& f) { c.firecracker.binary = f.non_empty_string(); }},
    Key{"jailer", [](Config& c, const Field& f) { c.firecracker.jailer = f.string(); }},
    Key{"qemu", [](Config& c, const Field& f) { c.qemu.binary = f.non_empty_string(); }},
};

constexpr std::array vm_keys{
    Key{"default_vcpus",
        [](Config& c, const Field& f) { c.default_vcpus = static_cast<std::uint32_t>(f.integer(1, 256)); }},
    Key{"default_memory_mib",
        [](Config& c, const Field& f) {
          c.default_memory_mib = static_cast<std::uint32_t>(f.integer(128, 1'048'576));
        }},
    Key{"default_image", [](Config& c, const Field& f) { c.default_image = f.string(); }},
    Key{"stop_timeout_s",
        [](Config& c, const Field& f) { c.stop_timeout = std::chrono::seconds(f.integer(0, 3600)); }},
    Key{"at_host_shutdown",
        [](Config& c, const Field& f) { c.suspend_at_host_shutdown = f.one_of({"stop", "suspend"}) == "suspend"; }},
    Key{"idle_cpu_percent", [](Config& c, const Field& f) { c.idle_cpu_percent = static_cast<unsigned>(f.integer(1, 100)); }},
};

constexpr std::array network_keys{
    Key{"default_subnet",
        [](Config& c, const Field& f) {
          c.default_subnet = f.string();
          try {
            net::parse_network_subnet(c.default_subnet);
          } catch (const Error& e) {
            f.fail(e.what());
          }
        }},
    Key{"dnsmasq", [](Config& c, const Field& f) { c.dnsmasq = f.non_empty_string(); }},
    Key{"ssh_timeout_s",
        [](Config& c, const Field& f) { c.ssh_timeout = std::chrono::seconds(f.integer(1, 600)); }},
};

constexpr std::array ports_keys{
    Key{"interval_s",
        [](Config& c, const Field& f) { c.ports_interval = std::chrono::seconds(f.integer(0, 3600)); }},
};

constexpr std::array firecracker_keys{
    Key{"jailer_uid",
        [](Config& c, const Field& f) { c.firecracker.jailer_uid = static_cast<std::uint32_t>(f.integer(0, 4294967294)); }},
    Key{"jailer_gid",
        [](Config& c, const Field& f) { c.firecracker.jailer_gid = static_cast<std::uint32_t>(f.integer(0, 4294967294)); }},
    // Per-VM jailer uids (issue 8, least privilege).
    Key{"jailer_uid_base",
        [](Config& c, const Field& f) { c.firecracker.jailer_uid_base = static_cast<std::uint32_t>(f.integer(1, 4294901759)); }},
    Key{"jailer_uid_count",
        [](Config& c, const Field& f) { c.firecracker.jailer_uid_count = static_cast<std::uint32_t>(f.integer(0, 65535)); }},
    Key{"chroot_base", [](Config& c, const Field& f) { c.firecracker.chroot_base = f.non_empty_string(); }},
    Key{"jailer_cgroup_version",
        [](Config& c, const Field& f) { c.firecracker.jailer_cgroup_version = static_cast<int>(f.integer(1, 2)); }},
    Key{"jailer_cgroups", [](Config& c, const Field& f) { c.firecracker.jailer_cgroups = f.assignments(); }},
    Key{"api_timeout_ms",
        [](Config& c, const Field& f) { c.firecracker.api_timeout = std::chrono::milliseconds(f.integer(100, 600'000)); }},
};

constexpr std::array qemu_keys{
    Key{"accel", [](Config& c, const Field& f) { c.qemu.accel = f.one_of({"auto", "kvm", "tcg"}); }},
    // VMM faults: a hung QEMU (QMP never answers) fails start and stop after this.
    Key{"qmp_timeout_ms",
        [](Config& c, const Field& f) { c.qemu.qmp_timeout = std::chrono::milliseconds(f.integer(100, 600'000)); }},
};

constexpr std::array doctor_keys{
    Key{"disk_warn_mib",
        [](Config& c, const Field& f) { c.doctor_disk_warn_mib = static_cast<std::uint64_t>(f.integer(0, 1ll << 40)); }},
    Key{"disk_fail_mib",
        [](Config& c, const Field& f) { c.doctor_disk_fail_mib = static_cast<std::uint64_t>(f.integer(0, 1ll << 40)); }},
};

constexpr std::array stats_keys{
    Key{"interval_s", [](Config& c, const Field& f) { c.stats_interval = std::chrono::seconds(f.integer(0, 3600)); }},
};

constexpr std::array console_keys{
    Key{"relay", [](Config& c, const Field& f) { c.console_relay = f.string(); }},
};

// [quotas] (users): per-owner limits, 0 = unlimited.
constexpr std::array quota_keys{
    Key{"max_vms", [](Config& c, const Field& f) { c.quotas.max_vms = static_cast<std::uint32_t>(f.integer(0, 1'000'000)); }},
    Key{"max_vcpus",
        [](Config& c, const Field& f) { c.quotas.max_vcpus = static_cast<std::uint32_t>(f.integer(0, 1'000'000)); }},
    Key{"max_memory_mib",
        [](Config& c, const Field& f) { c.quotas.max_memory_mib = static_cast<std::uint64_t>(f.integer(0, 1ll << 40)); }},
    Key{"max_disk_mib",
        [](Config& c, const Field& f) { c.quotas.max_disk_mib = static_cast<std::uint64_t>(f.integer(0, 1ll << 40)); }},
    // Port forwards hold a socket each in bangerd: limited for everyone, root too, never unlimited.
    Key{"max_forwards_per_vm",
        [](Config& c, const Field& f) { c.max_forwards_per_vm = static_cast<std::size_t>(f.integer(1, 4096)); }},
    Key{"max_forwards",
        [](Config& c, const Field& f) { c.max_forwards_per_owner = static_cast<std::size_t>(f.integer(1, 16384)); }},
};

constexpr std::array sections{
    Section{"daemon", daemon_keys},
    Section{"vmm", vmm_keys},
    Section{"vm", vm_keys},
    Section{"network", network_keys},
    Section{"ports", ports_keys},
    Section{"firecracker", firecracker_keys},
    Section{"qemu", qemu_keys},
    Section{"doctor", doctor_keys},
    Section{"stats", stats_keys},
    Section{"console", console_keys},
    Section{"quotas", quota_keys},
};

[[noreturn]] void fail(const std::string& source, std::string_view name, std::string_view problem) {
  throw ConfigError(source + ": " + std::string(name) + ": " + std::string(problem));
}

void apply_section(Config& config, const Section& section, const toml::table& table, const std::string& source) {
  for (const auto& [key, node] : table) {
    const Key* known = nullptr;
    for (const Key& k : section.keys)
      if (k.name == key.str()) known = &k;
    if (known == nullptr) fail(source, std::string(section.name) + "." + std::string(key.str()), "unknown key");
    known->apply(config, Field(source, section.name, key.str(), node));
  }
}

std::string read_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw ConfigError(path.string() + ": no such file");
  if (std::filesystem::is_directory(path, ec)) throw ConfigError(path.string() + ": is a directory");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in) throw ConfigError(path.string() + ": cannot be read");
  return std::move(text).str();
}

}  // namespace

std::filesystem::path find_on_path(std::string_view name, const std::filesystem::path& fallback) {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "";
  while (!dirs.empty()) {
    auto colon = dirs.find(':');
    std::string_view dir = dirs.substr(0, colon);
    dirs = colon == std::string_view::npos ? std::string_view() : dirs.substr(colon + 1);
    if (dir.empty() || dir.front() != '/') continue;  // a relative entry would depend on bangerd's cwd
    std::filesystem::path candidate = std::filesystem::path(dir) / name;
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec) && access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return fallback;
}

Config default_config() {
  Config config;
  config.state_dir = BANGER_DEFAULT_STATE_DIR;
  config.runtime_dir = BANGER_DEFAULT_RUNTIME_DIR;
  config.firecracker.binary = find_on_path("firecracker", "/usr/bin/firecracker");
  // Issue 17, finding 3: Firecracker runs jailed (chroot, its VM's own uid, no
  // capabilities) whenever the jailer is installed; [vmm] jailer = "" runs it directly.
  config.firecracker.jailer = find_on_path("jailer", "");
  config.qemu.binary = find_on_path("qemu-system-x86_64", "/usr/bin/qemu-system-x86_64");
  config.dnsmasq = find_on_path("dnsmasq", "/usr/sbin/dnsmasq");
  // Installed beside bangerd (libexecdir), and built beside it too.
  std::error_code ec;
  config.console_relay = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path() / "banger-console-relay";
  return config;
}

Config parse_config(std::string_view toml_text, const std::string& source_name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    const auto& begin = e.source().begin;
    throw ConfigError(source_name + ": line " + std::to_string(begin.line) + ", column " +
                      std::to_string(begin.column) + ": " + std::string(e.description()));
  }

  Config config = default_config();
  for (const auto& [name, node] : root) {
    const Section* section = nullptr;
    for (const Section& s : sections)
      if (s.name == name.str()) section = &s;
    if (section == nullptr) {
      fail(source_name, name.str(),
           node.is_table() ? "unknown section (expected [daemon], [vmm], [vm], [network], [ports], [firecracker], [qemu], [doctor], [stats], [console] or [quotas])"
                           : "unknown key (settings belong in a section: [daemon], [vmm], [vm], [network], [ports], [firecracker], [qemu], [doctor], [stats], [console] or [quotas])");
    }
    const auto* table = node.as_table();
    if (table == nullptr) fail(source_name, name.str(), "must be a table");
    apply_section(config, *section, *table, source_name);
  }
  return config;
}

Config load_config(const std::optional<std::filesystem::path>& path) {
  if (!path) {
    const std::filesystem::path fallback = BANGER_DEFAULT_CONFIG;
    std::error_code ec;
    if (!std::filesystem::exists(fallback, ec)) return default_config();
    return parse_config(read_file(fallback), fallback.string());
  }
  return parse_config(read_file(*path), path->string());
}

}  // namespace banger
