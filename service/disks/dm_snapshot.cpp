#include "disks/dm_snapshot.h"

#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/unique_fd.h"

namespace banger::disks {

namespace fs = std::filesystem;

namespace {

constexpr const char* control_path = "/dev/mapper/control";
// 4 KiB chunks: a guest's small writes copy little.
constexpr int chunk_sectors = 8;

std::size_t align8(std::size_t n) { return (n + 7) & ~std::size_t{7}; }

// Without udev the control node may be missing although the kernel has device-mapper.
UniqueFd open_control() {
  UniqueFd fd(::open(control_path, O_RDWR | O_CLOEXEC));
  if (fd.valid() || errno != ENOENT) return fd;
  std::ifstream in("/sys/class/misc/device-mapper/dev");
  unsigned major_number = 0, minor_number = 0;
  char colon = 0;
  if (!(in >> major_number >> colon >> minor_number) || colon != ':') {
    errno = ENOENT;
    return fd;
  }
  ::mkdir("/dev/mapper", 0755);
  ::mknod(control_path, S_IFCHR | 0600, makedev(major_number, minor_number));
  return UniqueFd(::open(control_path, O_RDWR | O_CLOEXEC));
}

dm_ioctl* header(std::vector<std::uint8_t>& buffer) { return reinterpret_cast<dm_ioctl*>(buffer.data()); }

// Runs one command; the buffer holds the kernel's answer afterwards.
int dm_command(int control, unsigned long command, std::vector<std::uint8_t>& buffer) {
  return ::ioctl(control, command, buffer.data());
}

UniqueFd control_or_throw() {
  UniqueFd control = open_control();
  if (!control.valid())
    throw Error(ErrorKind::backend_failed, fmt::format("cannot open {}: {}", control_path, std::strerror(errno)));
  return control;
}

[[noreturn]] void fail(const std::string& what) {
  throw Error(ErrorKind::backend_failed, fmt::format("device-mapper: {}: {}", what, std::strerror(errno)));
}

}  // namespace

std::vector<DmTarget> origin_table(const std::string& image_device, std::uint64_t image_sectors,
                                   std::uint64_t disk_sectors) {
  std::vector<DmTarget> table{{0, image_sectors, "linear", image_device + " 0"}};
  if (disk_sectors > image_sectors) table.push_back({image_sectors, disk_sectors - image_sectors, "zero", ""});
  return table;
}

DmTarget snapshot_target(const std::string& origin_device, const std::string& cow_device, std::uint64_t sectors) {
  return {0, sectors, "snapshot", fmt::format("{} {} P {}", origin_device, cow_device, chunk_sectors)};
}

std::vector<std::uint8_t> dm_ioctl_buffer(const std::string& name, std::uint32_t flags,
                                          const std::vector<DmTarget>& targets, std::size_t room) {
  if (name.empty() || name.size() >= DM_NAME_LEN)
    throw Error(ErrorKind::internal, fmt::format("device-mapper name '{}' is empty or too long", name));
  std::size_t size = align8(sizeof(dm_ioctl));
  for (const auto& t : targets) {
    if (t.type.size() >= DM_MAX_TYPE_NAME) throw Error(ErrorKind::internal, "device-mapper target type too long: " + t.type);
    size += align8(sizeof(dm_target_spec) + t.params.size() + 1);
  }
  std::vector<std::uint8_t> buffer(size + align8(room), 0);
  dm_ioctl* io = header(buffer);
  // The kernel takes any interface of the same major version and at most its own minor.
  io->version[0] = DM_VERSION_MAJOR;
  io->version[1] = 0;
  io->version[2] = 0;
  io->data_size = static_cast<__u32>(buffer.size());
  io->data_start = static_cast<__u32>(align8(sizeof(dm_ioctl)));
  io->target_count = static_cast<__u32>(targets.size());
  io->flags = flags;
  std::memcpy(io->name, name.data(), name.size());
  std::size_t offset = io->data_start;
  for (const auto& t : targets) {
    auto* spec = reinterpret_cast<dm_target_spec*>(buffer.data() + offset);
    spec->sector_start = t.start;
    spec->length = t.length;
    std::memcpy(spec->target_type, t.type.data(), t.type.size());
    std::memcpy(buffer.data() + offset + sizeof(dm_target_spec), t.params.data(), t.params.size());
    // `next`: from this spec to the following one.
    const std::size_t step = align8(sizeof(dm_target_spec) + t.params.size() + 1);
    spec->next = static_cast<__u32>(step);
    offset += step;
  }
  return buffer;
}

std::string dm_device_name(const std::string& vm_id) { return "banger-" + vm_id; }
std::string dm_origin_name(const std::string& vm_id) { return "banger-" + vm_id + "-origin"; }
fs::path dm_device_path(const std::string& name) { return fs::path("/dev/mapper") / name; }

std::string device_mapper_unavailable() {
  UniqueFd control = open_control();
  if (!control.valid()) return fmt::format("{} cannot be opened: {}", control_path, std::strerror(errno));
  auto buffer = dm_ioctl_buffer("version", 0);
  // DM_VERSION takes no name; the one dm_ioctl_buffer insists on is ignored.
  std::memset(header(buffer)->name, 0, DM_NAME_LEN);
  if (dm_command(control.get(), DM_VERSION, buffer) != 0)
    return fmt::format("DM_VERSION on {} failed: {}", control_path, std::strerror(errno));
  return {};
}

std::string dm_create(const std::string& name, const std::vector<DmTarget>& targets, bool read_only) {
  UniqueFd control = control_or_throw();
  auto create = dm_ioctl_buffer(name, 0);
  if (dm_command(control.get(), DM_DEV_CREATE, create) != 0) fail("create " + name);
  const dev_t dev = static_cast<dev_t>(header(create)->dev);
  try {
    auto load = dm_ioctl_buffer(name, read_only ? DM_READONLY_FLAG : 0, targets);
    if (dm_command(control.get(), DM_TABLE_LOAD, load) != 0) fail("load the table of " + name);
    // DM_DEV_SUSPEND without DM_SUSPEND_FLAG resumes: the loaded table goes live.
    auto resume = dm_ioctl_buffer(name, 0);
    if (dm_command(control.get(), DM_DEV_SUSPEND, resume) != 0) fail("activate " + name);
    const auto node = dm_device_path(name);
    ::unlink(node.c_str());
    if (::mknod(node.c_str(), S_IFBLK | 0600, dev) != 0) fail("make " + node.string());
  } catch (...) {
    try {
      dm_remove(name);
    } catch (...) {
    }
    throw;
  }
  return fmt::format("{}:{}", major(dev), minor(dev));
}

bool dm_remove(const std::string& name) {
  ::unlink(dm_device_path(name).c_str());
  UniqueFd control = control_or_throw();
  auto remove = dm_ioctl_buffer(name, 0);
  if (dm_command(control.get(), DM_DEV_REMOVE, remove) == 0) return true;
  if (errno == ENXIO) return false;  // no such device
  fail("remove " + name);
}

std::vector<std::string> dm_list() {
  UniqueFd control = control_or_throw();
  for (std::size_t room = 16 * 1024;; room *= 4) {
    auto buffer = dm_ioctl_buffer("list", 0, {}, room);
    std::memset(header(buffer)->name, 0, DM_NAME_LEN);
    if (dm_command(control.get(), DM_LIST_DEVICES, buffer) != 0) fail("list devices");
    if ((header(buffer)->flags & DM_BUFFER_FULL_FLAG) != 0 && room < (16u << 20)) continue;
    std::vector<std::string> names;
    std::size_t offset = header(buffer)->data_start;
    if (header(buffer)->data_size <= offset) return names;  // no devices
    for (;;) {
      auto* entry = reinterpret_cast<const dm_name_list*>(buffer.data() + offset);
      if (entry->dev == 0) break;
      names.emplace_back(entry->name);
      if (entry->next == 0) break;
      offset += entry->next;
    }
    return names;
  }
}

}  // namespace banger::disks
