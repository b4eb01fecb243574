#pragma once
// Images for the bus tests: stand-in files that pass bangerd's checks, and
// ImportImage with file descriptors.
#include <fcntl.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

#include <gtest/gtest.h>
#include <sdbus-c++/sdbus-c++.h>

#include "banger/bus_names.h"
#include "bus_client.h"

namespace banger::test {

inline void write_at(const std::filesystem::path& file, std::streamoff offset, const std::string& data) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  if (!f) f.open(file, std::ios::out | std::ios::binary);
  f.seekp(offset);
  f << data;
}

// Just enough of each file for bangerd's checks (boot header, ELF magic, ext
// superblock): vmlinuz, vmlinux, initrd.img, rootfs.ext4 (4 MiB, sparse), and
// not-a-kernel. The fake VMMs boot nothing.
inline void write_stand_in_image(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  write_at(dir / "vmlinuz", 0x202, "HdrS kernel");
  write_at(dir / "vmlinux", 0, "\x7f" "ELF kernel");
  write_at(dir / "initrd.img", 0, "initrd");
  write_at(dir / "rootfs.ext4", 1080, "\x53\xef");
  std::filesystem::resize_file(dir / "rootfs.ext4", 4 << 20);
  write_at(dir / "not-a-kernel", 0, "plain text");
}

inline sdbus::Variant fd_variant(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0) << file;
  return sdbus::Variant(sdbus::UnixFd(fd, sdbus::adopt_fd));
}

// Manager.ImportImage → (image path, operation path).
inline std::pair<std::string, std::string> import_image(sdbus::IProxy& manager, const std::string& name,
                                                        const Options& parts) {
  sdbus::ObjectPath image, op;
  manager.callMethod("ImportImage")
      .onInterface(banger::bus::manager_interface)
      .withArguments(name, parts)
      .storeResultsTo(image, op);
  return {image, op};
}

// Imports and waits until the Operation finished; returns the image path.
inline std::string import_image_ready(sdbus::IProxy& manager, SignalRecorder& recorder, const std::string& name,
                                      const Options& parts) {
  auto [image, op] = import_image(manager, name, parts);
  auto finished = recorder.wait_for([&](const Signal& s) { return s.path == op && s.member == "Finished"; });
  EXPECT_TRUE(finished && finished->success) << (finished ? finished->args.at(0) : "no Finished signal");
  return image;
}

}  // namespace banger::test
