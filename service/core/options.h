#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>

namespace banger {

// A value of an a{sv} option dictionary, free of sdbus types. The bus layer
// converts each variant; a type banger never takes arrives as Unsupported so the
// domain can name the key and the type it got.
struct UnsupportedOption {
  std::string signature;
  bool operator==(const UnsupportedOption&) const = default;
};
using OptionValue = std::variant<bool, std::uint32_t, std::int32_t, std::uint64_t, std::int64_t, double,
                                 std::string, UnsupportedOption>;
using OptionMap = std::map<std::string, OptionValue>;

// The D-Bus signature of the value ("u", "s", …), for error messages.
std::string signature_of(const OptionValue& value);

// Throws Error(invalid_args): "option '<key>' must be of type '<expected>', got '<actual>'".
[[noreturn]] void wrong_option_type(const std::string& key, const std::string& expected, const OptionValue& value);

// The option's value as a T, or Error(invalid_args) naming the key and both types.
template <typename T>
const T& option_as(const std::string& key, const OptionValue& value) {
  if (const T* typed = std::get_if<T>(&value)) return *typed;
  wrong_option_type(key, signature_of(OptionValue{T{}}), value);
}

// VM.StartWith's options.
struct StartOptions {
  // A suspended VM boots afresh and its saved state is dropped.
  bool fresh = false;
};
// Throws Error(invalid_args) for an unknown key or a wrong type.
StartOptions parse_start_options(const OptionMap& options);

struct HostLimits {
  std::uint32_t cpu_cores = 1;
  std::uint64_t memory_mib = 128;
};
HostLimits probe_host_limits();

struct CreateDefaults {
  std::uint32_t vcpus = 1;
  std::uint32_t memory_mib = 512;
  std::string image;  // an image ref; empty: the image marked default
};

inline constexpr std::uint64_t default_work_disk_mib = 8192;
inline constexpr std::uint64_t min_work_disk_mib = 64;
inline constexpr std::uint64_t max_disk_mib = std::uint64_t{16} << 20;  // 16 TiB

struct CreateSpec {
  std::string name;
  std::uint32_t vcpus = 1;
  std::uint32_t memory_mib = 512;
  std::string image;  // a ref from the request; resolved to an id before begin_create
  std::string backend;  // empty: the daemon's default; VmManager checks the name
  std::string network = "default";  // the network's existence is checked at create (NetworkAddress)
  std::uint64_t disk_mib = 0;  // 0: the image's rootfs size; the root-disk capability checks the bounds
  std::uint64_t work_disk_mib = default_work_disk_mib;
  bool keep_work_disk = false;
  bool forward_ports = false;
  bool autostart = false;
  std::uint32_t idle_suspend_s = 0;  // 0: never
};

struct VmChanges {
  std::optional<std::string> name;
  std::optional<std::uint32_t> vcpus;
  std::optional<std::uint32_t> memory_mib;
  std::optional<std::uint64_t> disk_mib;       // grow only; the capabilities refuse shrinking
  std::optional<std::uint64_t> work_disk_mib;  // grow only
  std::optional<bool> keep_work_disk;
  std::optional<bool> forward_ports;  // may change while the VM runs
  std::optional<bool> autostart;      // any time: it only matters at the next host boot
  std::optional<std::uint32_t> idle_suspend_s;  // any time: the idle clock of a running VM starts over
  bool touches_hardware() const {
    return vcpus.has_value() || memory_mib.has_value() || disk_mib.has_value() || work_disk_mib.has_value();
  }
};

inline constexpr std::uint32_t min_memory_mib = 128;
// idle_suspend (seconds): 0 = never, else at least a few seconds (the idle
// detector looks every few seconds; less is noise) and at most 30 days.
inline constexpr std::uint32_t min_idle_suspend_s = 5;
inline constexpr std::uint32_t max_idle_suspend_s = 30u * 24 * 3600;

// Each throws Error(invalid_args) with a message naming the offending key.
void validate_vm_name(std::string_view name);
void validate_snapshot_name(std::string_view name);  // VM.Snapshot: the rules of VM names
void validate_image_name(std::string_view image);
CreateSpec parse_create_request(std::string name, const OptionMap& options, const CreateDefaults& defaults,
                                const HostLimits& limits);
VmChanges parse_changes(const OptionMap& changes, const HostLimits& limits);

}  // namespace banger
