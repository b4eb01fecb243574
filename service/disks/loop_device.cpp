#include "disks/loop_device.h"

#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "core/errors.h"

namespace banger::disks {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& what) {
  throw Error(ErrorKind::backend_failed, fmt::format("{}: {}", what, std::strerror(errno)));
}

std::string sys_attribute(int number, const std::string& name) {
  std::ifstream in(fmt::format("/sys/block/loop{}/{}", number, name));
  std::string value;
  std::getline(in, value);
  return value;
}

// Containers without udev have only the nodes made at boot.
void ensure_node(int number) {
  const std::string path = fmt::format("/dev/loop{}", number);
  if (::access(path.c_str(), F_OK) == 0) return;
  unsigned major_number = 0, minor_number = 0;
  if (std::sscanf(loop_device_numbers(number).c_str(), "%u:%u", &major_number, &minor_number) != 2)
    throw Error(ErrorKind::backend_failed, fmt::format("loop{} has no device number in /sys/block", number));
  if (::mknod(path.c_str(), S_IFBLK | 0660, makedev(major_number, minor_number)) != 0 && errno != EEXIST)
    fail("cannot make " + path);
}

}  // namespace

std::string loop_device_numbers(int number) { return sys_attribute(number, "dev"); }

std::optional<fs::path> loop_backing_file(int number) {
  std::string file = sys_attribute(number, "loop/backing_file");
  if (file.empty()) return std::nullopt;
  return fs::path(file);
}

LoopDevice attach_loop(const fs::path& file, LoopOptions options) {
  UniqueFd backing(::open(file.c_str(), (options.read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC));
  if (!backing.valid()) fail("cannot open " + file.string());
  UniqueFd control(::open("/dev/loop-control", O_RDWR | O_CLOEXEC));
  if (!control.valid()) fail("cannot open /dev/loop-control");
  // Another process may take the free device between asking and configuring it.
  for (int attempt = 0; attempt < 16; ++attempt) {
    const int number = ::ioctl(control.get(), LOOP_CTL_GET_FREE);
    if (number < 0) fail("no free loop device");
    ensure_node(number);
    LoopDevice device;
    device.number = number;
    device.fd = UniqueFd(::open(device.path().c_str(), (options.read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC));
    if (!device.fd.valid()) fail("cannot open " + device.path().string());
    loop_config config{};
    config.fd = static_cast<__u32>(backing.get());
    config.info.lo_flags = (options.read_only ? LO_FLAGS_READ_ONLY : 0) | (options.autoclear ? LO_FLAGS_AUTOCLEAR : 0);
    std::strncpy(reinterpret_cast<char*>(config.info.lo_file_name), file.c_str(), LO_NAME_SIZE - 1);
    if (::ioctl(device.fd.get(), LOOP_CONFIGURE, &config) == 0) return device;
    if (errno != EBUSY) fail(fmt::format("cannot attach {} to {}", file.string(), device.path().string()));
  }
  throw Error(ErrorKind::backend_failed, fmt::format("cannot attach {}: every free loop device was taken", file.string()));
}

bool detach_loop(int number, const fs::path& file) {
  auto backing = loop_backing_file(number);
  if (!backing) return false;
  // The kernel marks a file that has gone since with " (deleted)".
  std::string served = backing->string();
  if (served != file.string() && served != file.string() + " (deleted)") return false;
  const std::string path = fmt::format("/dev/loop{}", number);
  ensure_node(number);
  UniqueFd device(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!device.valid()) fail("cannot open " + path);
  if (::ioctl(device.get(), LOOP_CLR_FD) != 0) {
    if (errno == ENXIO) return false;  // freed meanwhile
    fail("cannot detach " + path);
  }
  return true;
}

}  // namespace banger::disks
