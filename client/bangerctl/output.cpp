#include "output.h"

#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <iostream>
#include <ostream>

namespace bangerctl {

using banger::client::VmInfo;

nlohmann::ordered_json forwards_json(const std::vector<banger::client::PortForwardInfo>& forwards) {
  auto array = nlohmann::ordered_json::array();
  for (const auto& f : forwards)
    array.push_back({{"protocol", f.protocol}, {"host_port", f.host_port}, {"guest_port", f.guest_port}});
  return array;
}

std::string format_forwards(const std::vector<banger::client::PortForwardInfo>& forwards) {
  std::string out;
  for (const auto& f : forwards)
    out += fmt::format("{}{} {} → {}", out.empty() ? "" : ", ", f.protocol, f.host_port, f.guest_port);
  return out.empty() ? "-" : out;
}

nlohmann::ordered_json to_json(const VmInfo& vm) {
  return {
      {"id", vm.id},
      {"name", vm.name},
      {"owner_uid", vm.owner_uid},
      {"state", vm.state},
      {"vcpus", vm.vcpus},
      {"memory_mib", vm.memory_mib},
      {"image", vm.image},
      {"backend", vm.backend},
      {"last_error", vm.last_error},
      {"created_at_us", vm.created_at_us},
      {"updated_at_us", vm.updated_at_us},
      {"path", vm.path},
      {"network", vm.network},
      {"ipv4_address", vm.ipv4_address},
      {"mac_address", vm.mac_address},
      {"tap_device", vm.tap_device},
      {"dns_name", vm.dns_name},
      {"disk_mib", vm.disk_mib},
      {"root_disk_strategy", vm.root_disk_strategy},
      {"work_disk_mib", vm.work_disk_mib},
      {"keep_work_disk", vm.keep_work_disk},
      {"forwards", forwards_json(vm.forwards)},
      {"forward_ports", vm.forward_ports},
      {"autostart", vm.autostart},
      {"idle_suspend_s", vm.idle_suspend_s},
  };
}

nlohmann::ordered_json to_json(const std::vector<VmInfo>& vms) {
  auto array = nlohmann::ordered_json::array();
  for (const auto& vm : vms) array.push_back(to_json(vm));
  return array;
}

void print_json(const nlohmann::ordered_json& value) { std::cout << value.dump(2) << '\n'; }

void print_vm_table(std::ostream& out, const std::vector<VmInfo>& vms) {
  using Row = std::vector<std::string>;
  std::vector<Row> rows{{"ID", "NAME", "STATE", "VCPUS", "MEMORY", "IMAGE", "ADDRESS"}};
  for (const auto& vm : vms)
    rows.push_back({vm.id.substr(0, 12), vm.name, vm.state, std::to_string(vm.vcpus),
                    format_memory(vm.memory_mib), vm.image.empty() ? "-" : vm.image.substr(0, 12),
                    vm.ipv4_address.empty() ? "-" : vm.ipv4_address});

  print_table(out, rows);
}

void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  if (rows.empty()) return;
  std::vector<std::size_t> width(rows.front().size(), 0);
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());

  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(width[i] - row[i].size() + 2, ' ');
    }
    out << line << '\n';
  }
}

void print_vm_details(std::ostream& out, const VmInfo& vm, const std::string& image) {
  auto or_dash = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
  const std::pair<const char*, std::string> lines[] = {
      {"Id", vm.id},
      {"Name", vm.name},
      {"State", vm.state},
      {"Owner", format_owner(vm.owner_uid)},
      {"VCPUs", std::to_string(vm.vcpus)},
      {"Memory", format_memory(vm.memory_mib)},
      {"Image", or_dash(image)},
      {"Backend", or_dash(vm.backend)},
      {"Network", or_dash(vm.network)},
      {"Address", or_dash(vm.ipv4_address)},
      {"DNS name", or_dash(vm.dns_name)},
      {"MAC", or_dash(vm.mac_address)},
      {"Tap", or_dash(vm.tap_device)},
      {"Root disk", vm.disk_mib == 0 ? "image size" : format_memory(static_cast<std::uint32_t>(vm.disk_mib))},
      {"Disk clone", or_dash(vm.root_disk_strategy)},
      {"Work disk", vm.work_disk_mib == 0 ? std::string("-")
                                          : format_memory(static_cast<std::uint32_t>(vm.work_disk_mib)) +
                                                (vm.keep_work_disk ? " (kept on delete)" : "")},
      {"Forwards", format_forwards(vm.forwards) + (vm.forward_ports ? " (guest ports forwarded automatically)" : "")},
      {"Autostart", vm.autostart ? "on (started after each host boot)" : "off"},
      {"Idle sleep",
       vm.idle_suspend_s == 0 ? "off" : fmt::format("after {} s idle (a TCP connect wakes it)", vm.idle_suspend_s)},
      {"Last error", or_dash(vm.last_error)},
      {"Created", format_local_time(vm.created_at_us)},
      {"Updated", format_local_time(vm.updated_at_us)},
      {"Path", vm.path},
  };
  for (const auto& [key, value] : lines) out << fmt::format("{:<12}{}\n", std::string(key) + ":", value);
}

std::string format_memory(std::uint32_t mib) { return fmt::format("{} MiB", mib); }

std::string format_local_time(std::uint64_t usec) {
  if (usec == 0) return "-";
  const auto seconds = static_cast<std::time_t>(usec / 1'000'000);
  std::tm local{};
  if (localtime_r(&seconds, &local) == nullptr) return std::to_string(usec);
  char buf[64];
  if (std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &local) == 0) return std::to_string(usec);
  // Not strftime's %z: that gives "+0200", extended ISO 8601 wants "+02:00".
  const long offset_min = local.tm_gmtoff / 60;
  const long abs_min = offset_min < 0 ? -offset_min : offset_min;
  return fmt::format("{}{}{:02}:{:02}", buf, offset_min < 0 ? '-' : '+', abs_min / 60, abs_min % 60);
}

std::string format_owner(std::uint32_t uid) {
  long size = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buf(size > 0 ? static_cast<std::size_t>(size) : 16384);
  passwd pw{};
  passwd* found = nullptr;
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr)
    return fmt::format("{} ({})", uid, found->pw_name);
  return std::to_string(uid);
}

}  // namespace bangerctl
