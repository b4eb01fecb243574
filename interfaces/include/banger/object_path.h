#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace banger::bus {

// The one place VM and image ids (and network names) become object paths (sd_bus_path_encode) and back.
std::string vm_path(const std::string& vm_id);
std::optional<std::string> vm_id_from_path(const std::string& path);
std::string image_path(const std::string& image_id);
std::optional<std::string> image_id_from_path(const std::string& path);
std::string network_path(const std::string& network_name);
std::optional<std::string> network_name_from_path(const std::string& path);

// A VM's checkpoint: <vm path>/snapshot/<escaped id>.
std::string snapshot_path(const std::string& vm_id, const std::string& snapshot_id);

std::string operation_path(std::uint64_t number);

}  // namespace banger::bus
