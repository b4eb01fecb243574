#include "image_output.h"

#include "output.h"

#include <fmt/format.h>

#include <ostream>

namespace bangerctl {

using banger::client::ImageInfo;

namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out.empty() ? "-" : out;
}

}  // namespace

nlohmann::ordered_json to_json(const ImageInfo& image) {
  return {
      {"id", image.id},
      {"name", image.name},
      {"default", image.is_default},
      {"backends", image.backends},
      {"kernel", image.kernel},
      {"vmlinux", image.vmlinux},
      {"initrd", image.initrd},
      {"rootfs", image.rootfs},
      {"size_bytes", image.size_bytes},
      {"created_at_us", image.created_at_us},
      {"path", image.path},
  };
}

nlohmann::ordered_json to_json(const std::vector<ImageInfo>& images) {
  auto array = nlohmann::ordered_json::array();
  for (const auto& image : images) array.push_back(to_json(image));
  return array;
}

void print_image_table(std::ostream& out, const std::vector<ImageInfo>& images) {
  std::vector<std::vector<std::string>> rows{{"ID", "NAME", "DEFAULT", "BACKENDS", "SIZE", "CREATED"}};
  for (const auto& image : images)
    rows.push_back({image.id.substr(0, 12), image.name, image.is_default ? "*" : "", joined(image.backends),
                    format_size(image.size_bytes), format_local_time(image.created_at_us)});
  print_table(out, rows);
}

void print_image_details(std::ostream& out, const ImageInfo& image) {
  auto or_dash = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
  const std::pair<const char*, std::string> lines[] = {
      {"Id", image.id},
      {"Name", image.name},
      {"Default", image.is_default ? "yes" : "no"},
      {"Backends", joined(image.backends)},
      {"Kernel", or_dash(image.kernel)},
      {"Vmlinux", or_dash(image.vmlinux)},
      {"Initrd", or_dash(image.initrd)},
      {"Rootfs", image.rootfs},
      {"Size", format_size(image.size_bytes)},
      {"Created", format_local_time(image.created_at_us)},
      {"Path", image.path},
  };
  for (const auto& [key, value] : lines) out << fmt::format("{:<12}{}\n", std::string(key) + ":", value);
}

std::string format_size(std::uint64_t bytes) {
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

}  // namespace bangerctl
