#include "disks/root_disk_devices.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "store/json_numbers.h"
#include "core/log.h"
#include "disks/dm_snapshot.h"
#include "disks/loop_device.h"

namespace banger::disks {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string to_json(const RootDiskDevices& devices) {
  json loops = json::array();
  for (const auto& loop : devices.loops) loops.push_back({{"number", loop.number}, {"file", loop.file.string()}});
  return json{{"dm", devices.dm_names}, {"loops", loops}}.dump(2) + "\n";
}

std::optional<RootDiskDevices> parse_root_disk_devices(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("dm") || !j.contains("loops") || !j["dm"].is_array() || !j["loops"].is_array())
    return std::nullopt;
  RootDiskDevices devices;
  for (const auto& name : j["dm"]) {
    if (!name.is_string()) return std::nullopt;
    devices.dm_names.push_back(name.get<std::string>());
  }
  for (const auto& loop : j["loops"]) {
    if (!loop.is_object() || !loop.contains("number") || !loop.contains("file") || !loop["file"].is_string())
      return std::nullopt;
    auto number = json_integer<int>(loop["number"]);
    if (!number) return std::nullopt;
    devices.loops.push_back({*number, loop["file"].get<std::string>()});
  }
  return devices;
}

fs::path root_disk_devices_file(const fs::path& runtime_dir, const std::string& vm_id) {
  return runtime_dir / "vms" / vm_id / "disk.json";
}

void write_root_disk_devices(const fs::path& file, const RootDiskDevices& devices) {
  write_file_atomically(file, to_json(devices));
}

std::optional<RootDiskDevices> read_root_disk_devices(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  auto devices = parse_root_disk_devices(text.str());
  if (!devices) log::warn("ignoring unreadable {}", file.string());
  return devices;
}

bool release(const RootDiskDevices& devices) noexcept {
  bool all = true;
  // Without device-mapper (gone since, or never there: a create that failed) there is no device to remove.
  const bool have_dm = !devices.dm_names.empty() && device_mapper_unavailable().empty();
  for (const auto& name : have_dm ? devices.dm_names : std::vector<std::string>{}) {
    try {
      dm_remove(name);
    } catch (const std::exception& e) {
      log::warn("cannot remove device-mapper device {}: {}", name, e.what());
      all = false;
    }
  }
  for (const auto& loop : devices.loops) {
    try {
      detach_loop(loop.number, loop.file);
    } catch (const std::exception& e) {
      log::warn("cannot detach /dev/loop{} ({}): {}", loop.number, loop.file.string(), e.what());
      all = false;
    }
  }
  return all;
}

}  // namespace banger::disks
