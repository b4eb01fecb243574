#pragma once
// How bangerctl prints images: aligned table, "Key: value" details, or JSON.

#include "banger/client.h"

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <string>
#include <vector>

namespace bangerctl {

nlohmann::ordered_json to_json(const banger::client::ImageInfo& image);
nlohmann::ordered_json to_json(const std::vector<banger::client::ImageInfo>& images);
void print_image_table(std::ostream& out, const std::vector<banger::client::ImageInfo>& images);
void print_image_details(std::ostream& out, const banger::client::ImageInfo& image);
std::string format_size(std::uint64_t bytes);  // "256.0 MiB"

}  // namespace bangerctl
