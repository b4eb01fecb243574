#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace banger {

// One registered guest image. Paths are absolute files in the daemon's state
// directory; a part the image does not have is an empty path. `kernel` is a
// bzImage (QEMU), `vmlinux` an ELF kernel (Firecracker).
struct ImageRecord {
  std::string id;
  std::string name;
  std::string kernel;
  std::string vmlinux;
  std::string initrd;
  std::string rootfs;
  std::uint64_t size_bytes = 0;
  std::uint64_t created_at_us = 0;
  bool is_default = false;

  // The file a backend boots, by VmmBackend::kernel_file() ("vmlinuz", "vmlinux").
  const std::string& kernel_for(std::string_view kernel_file) const {
    return kernel_file == "vmlinux" ? vmlinux : kernel;
  }
  // The backends whose kernel this image has, for the Backends property.
  std::vector<std::string> backends() const {
    std::vector<std::string> out;
    if (!kernel.empty()) out.emplace_back("qemu");
    if (!vmlinux.empty()) out.emplace_back("firecracker");
    return out;
  }

  bool operator==(const ImageRecord&) const = default;
};

}  // namespace banger
