#include "core/options.h"

#include <unistd.h>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/network_manager.h"

namespace banger {

std::string signature_of(const OptionValue& value) {
  struct {
    std::string operator()(bool) const { return "b"; }
    std::string operator()(std::uint32_t) const { return "u"; }
    std::string operator()(std::int32_t) const { return "i"; }
    std::string operator()(std::uint64_t) const { return "t"; }
    std::string operator()(std::int64_t) const { return "x"; }
    std::string operator()(double) const { return "d"; }
    std::string operator()(const std::string&) const { return "s"; }
    std::string operator()(const UnsupportedOption& u) const { return u.signature; }
  } visitor;
  return std::visit(visitor, value);
}

void wrong_option_type(const std::string& key, const std::string& expected, const OptionValue& value) {
  throw Error(ErrorKind::invalid_args,
              fmt::format("option '{}' must be of type '{}', got '{}'", key, expected, signature_of(value)));
}

StartOptions parse_start_options(const OptionMap& options) {
  StartOptions parsed;
  for (const auto& [key, value] : options) {
    if (key == "fresh")
      parsed.fresh = option_as<bool>(key, value);
    else
      throw Error(ErrorKind::invalid_args, fmt::format("unknown option '{}' (known: fresh)", key));
  }
  return parsed;
}

HostLimits probe_host_limits() {
  HostLimits limits;
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  long pages = sysconf(_SC_PHYS_PAGES);
  long page_size = sysconf(_SC_PAGE_SIZE);
  if (cores > 0) limits.cpu_cores = static_cast<std::uint32_t>(cores);
  if (pages > 0 && page_size > 0)
    limits.memory_mib = static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size) / (1024 * 1024);
  return limits;
}

namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }


std::uint32_t checked_vcpus(const std::string& key, const OptionValue& value, const HostLimits& limits) {
  auto vcpus = option_as<std::uint32_t>(key, value);
  if (vcpus < 1 || vcpus > limits.cpu_cores)
    throw Error(ErrorKind::invalid_args,
                fmt::format("option '{}' must be between 1 and {} (host cores), got {}", key, limits.cpu_cores, vcpus));
  return vcpus;
}

// zero_ok: 0 is allowed too (work_disk at create: no work disk).
std::uint64_t checked_disk(const std::string& key, const OptionValue& value, std::uint64_t min, bool zero_ok = false) {
  auto mib = option_as<std::uint32_t>(key, value);
  if (zero_ok && mib == 0) return 0;
  if (mib < min || mib > max_disk_mib)
    throw Error(ErrorKind::invalid_args,
                fmt::format("option '{}' must be between {} and {} MiB, got {}", key, min, max_disk_mib, mib));
  return mib;
}

std::uint32_t checked_memory(const std::string& key, const OptionValue& value, const HostLimits& limits) {
  auto memory = option_as<std::uint32_t>(key, value);
  if (memory < min_memory_mib || memory > limits.memory_mib)
    throw Error(ErrorKind::invalid_args, fmt::format("option '{}' must be between {} and {} MiB (host RAM), got {}",
                                                     key, min_memory_mib, limits.memory_mib, memory));
  return memory;
}

std::uint32_t checked_idle_suspend(const std::string& key, const OptionValue& value) {
  auto seconds = option_as<std::uint32_t>(key, value);
  if (seconds != 0 && (seconds < min_idle_suspend_s || seconds > max_idle_suspend_s))
    throw Error(ErrorKind::invalid_args, fmt::format("option '{}' must be 0 (never) or between {} and {} seconds, got {}",
                                                     key, min_idle_suspend_s, max_idle_suspend_s, seconds));
  return seconds;
}

[[noreturn]] void unknown_key(const std::string& key, std::string_view known) {
  throw Error(ErrorKind::invalid_args, fmt::format("unknown option '{}' (known: {})", key, known));
}

}  // namespace

namespace {

void require_dns_label(std::string_view name, std::string_view what) {
  bool ok = !name.empty() && name.size() <= 63 && name.front() >= 'a' && name.front() <= 'z';
  for (char c : name) ok = ok && (is_lower_alnum(c) || c == '-');
  if (!ok)
    throw Error(ErrorKind::invalid_args,
                fmt::format("invalid {} name '{}': use 1-63 characters a-z, 0-9 and '-', starting with a letter",
                            what, name));
}

}  // namespace

// A DNS label, because the name becomes <name>.<domain> on the host's resolver.
void validate_vm_name(std::string_view name) { require_dns_label(name, "VM"); }

// The same rules as a VM's: a checkpoint's name goes where a VM's does (command lines, completion).
void validate_snapshot_name(std::string_view name) { require_dns_label(name, "checkpoint"); }

void validate_image_name(std::string_view image) {
  bool ok = !image.empty() && image.size() <= 64 && is_lower_alnum(image.front());
  for (char c : image) ok = ok && (is_lower_alnum(c) || c == '-' || c == '.' || c == '_');
  if (!ok)
    throw Error(ErrorKind::invalid_args,
                fmt::format("invalid image name '{}': use 1-64 characters a-z, 0-9, '.', '_' and '-', "
                            "starting with a letter or digit",
                            image));
}

CreateSpec parse_create_request(std::string name, const OptionMap& options, const CreateDefaults& defaults,
                                const HostLimits& limits) {
  validate_vm_name(name);
  CreateSpec spec{std::move(name), defaults.vcpus, defaults.memory_mib, defaults.image, {}, default_network_name};
  for (const auto& [key, value] : options) {
    if (key == "vcpus") {
      spec.vcpus = checked_vcpus(key, value, limits);
    } else if (key == "memory") {
      spec.memory_mib = checked_memory(key, value, limits);
    } else if (key == "image") {
      spec.image = option_as<std::string>(key, value);
      validate_image_name(spec.image);
    } else if (key == "backend") {
      spec.backend = option_as<std::string>(key, value);
      if (spec.backend.empty()) throw Error(ErrorKind::invalid_args, "option 'backend': must name a VMM backend");
    } else if (key == "network") {
      spec.network = option_as<std::string>(key, value);
      validate_network_name(spec.network);
    } else if (key == "disk") {
      spec.disk_mib = checked_disk(key, value, 1);
    } else if (key == "work_disk") {
      spec.work_disk_mib = checked_disk(key, value, min_work_disk_mib, /*zero_ok=*/true);
    } else if (key == "keep_work_disk") {
      spec.keep_work_disk = option_as<bool>(key, value);
    } else if (key == "forward_ports") {
      spec.forward_ports = option_as<bool>(key, value);
    } else if (key == "autostart") {
      spec.autostart = option_as<bool>(key, value);
    } else if (key == "idle_suspend") {
      spec.idle_suspend_s = checked_idle_suspend(key, value);
    } else {
      unknown_key(key,
                  "vcpus, memory, image, backend, network, disk, work_disk, keep_work_disk, forward_ports, autostart, "
                  "idle_suspend");
    }
  }
  return spec;
}

VmChanges parse_changes(const OptionMap& changes, const HostLimits& limits) {
  constexpr std::string_view known =
      "name, vcpus, memory, disk, work_disk, keep_work_disk, forward_ports, autostart, idle_suspend";
  if (changes.empty()) throw Error(ErrorKind::invalid_args, fmt::format("no changes given (known: {})", known));
  VmChanges out;
  for (const auto& [key, value] : changes) {
    if (key == "name") {
      out.name = option_as<std::string>(key, value);
      validate_vm_name(*out.name);
    } else if (key == "vcpus") {
      out.vcpus = checked_vcpus(key, value, limits);
    } else if (key == "memory") {
      out.memory_mib = checked_memory(key, value, limits);
    } else if (key == "disk") {
      out.disk_mib = checked_disk(key, value, 1);
    } else if (key == "work_disk") {
      out.work_disk_mib = checked_disk(key, value, min_work_disk_mib);
    } else if (key == "keep_work_disk") {
      out.keep_work_disk = option_as<bool>(key, value);
    } else if (key == "forward_ports") {
      out.forward_ports = option_as<bool>(key, value);
    } else if (key == "autostart") {
      out.autostart = option_as<bool>(key, value);
    } else if (key == "idle_suspend") {
      out.idle_suspend_s = checked_idle_suspend(key, value);
    } else {
      unknown_key(key, known);
    }
  }
  return out;
}

}  // namespace banger
