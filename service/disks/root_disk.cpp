#include "disks/root_disk.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/log.h"
#include "core/sparse_copy.h"
#include "core/unique_fd.h"
#include "disks/dm_snapshot.h"
#include "disks/ext4_image.h"
#include "disks/loop_device.h"
#include "disks/reflink.h"
#include "disks/root_disk_devices.h"

namespace banger::disks {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t mib_bytes = 1024 * 1024;

// Room for every chunk of the disk to be written once, plus the snapshot's
// exception tables (16 bytes per 4 KiB chunk) and header: the COW can never
// fill up. Sparse, so only what the guest writes takes room.
std::uint64_t cow_bytes(std::uint64_t disk_mib) { return disk_mib * mib_bytes + disk_mib * mib_bytes / 128 + mib_bytes; }

void ensure_size(const fs::path& file, std::uint64_t bytes) {
  UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  struct stat st {};
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0)
    throw Error(ErrorKind::backend_failed, fmt::format("cannot open {}: {}", file.string(), std::strerror(errno)));
  if (static_cast<std::uint64_t>(st.st_size) >= bytes) return;
  if (::ftruncate(fd.get(), static_cast<off_t>(bytes)) != 0)
    throw Error(errno == ENOSPC || errno == EFBIG ? ErrorKind::resource_exhausted : ErrorKind::backend_failed,
                fmt::format("cannot size {}: {}", file.string(), std::strerror(errno)));
}

void remove_file(const fs::path& file) noexcept {
  std::error_code ec;
  fs::remove(file, ec);
  if (ec) log::warn("cannot remove {}: {}", file.string(), ec.message());
}

// The kernel marks a backing file deleted since with this suffix.
fs::path without_deleted_mark(fs::path file) {
  const std::string mark = " (deleted)";
  std::string text = file.string();
  if (text.ends_with(mark)) text.erase(text.size() - mark.size());
  return text;
}

bool is_under(const fs::path& file, const fs::path& dir) {
  auto rel = file.lexically_relative(dir);
  return !rel.empty() && *rel.begin() != "..";
}

}  // namespace

std::string_view to_string(RootDiskStrategy strategy) {
  switch (strategy) {
    case RootDiskStrategy::reflink: return "reflink";
    case RootDiskStrategy::dm_snapshot: return "dm-snapshot";
    case RootDiskStrategy::copy: return "copy";
  }
  return "copy";
}

std::optional<RootDiskStrategy> parse_root_disk_strategy(std::string_view text) {
  for (auto s : {RootDiskStrategy::reflink, RootDiskStrategy::dm_snapshot, RootDiskStrategy::copy})
    if (to_string(s) == text) return s;
  return std::nullopt;
}

RootDisks::RootDisks(fs::path state_dir, fs::path runtime_dir)
    : state_dir_(std::move(state_dir)), runtime_dir_(std::move(runtime_dir)) {}

fs::path RootDisks::vm_dir(const std::string& vm_id) const { return state_dir_ / "vms" / vm_id; }

fs::path RootDisks::file(const std::string& vm_id, RootDiskStrategy strategy) const {
  return vm_dir(vm_id) / (strategy == RootDiskStrategy::dm_snapshot ? "rootfs.cow" : "rootfs.ext4");
}

RootDiskStrategy RootDisks::best_strategy() const {
  const fs::path dir = state_dir_ / "vms";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (reflink_works(dir)) return RootDiskStrategy::reflink;
  if (!runtime_dir_.empty() && device_mapper_unavailable().empty()) return RootDiskStrategy::dm_snapshot;
  return RootDiskStrategy::copy;
}

RootDiskStrategy RootDisks::create(const std::string& vm_id, const fs::path& image, std::uint64_t mib) {
  return create(vm_id, image, mib, best_strategy());
}

RootDiskStrategy RootDisks::create(const std::string& vm_id, const fs::path& image, std::uint64_t mib,
                                   RootDiskStrategy strategy) {
  const auto image_mib = disks::size_mib(image);
  if (mib != 0 && mib < image_mib)
    throw Error(ErrorKind::invalid_args,
                fmt::format("a root disk of {} MiB is smaller than its image ({} MiB)", mib, image_mib));
  const fs::path disk = file(vm_id, strategy);
  try {
    switch (strategy) {
      case RootDiskStrategy::reflink:
        if (!clone_file(image, disk)) {
          // The probe said yes, yet these two files cannot share extents (other filesystems).
          log::info("VM {}: the image cannot be cloned into the VM's directory; copying it", vm_id);
          return create(vm_id, image, mib, RootDiskStrategy::copy);
        }
        if (mib > image_mib) grow_ext4(disk, mib);
        break;
      case RootDiskStrategy::copy:
        copy_sparse(image, disk);
        if (mib > image_mib) grow_ext4(disk, mib);
        break;
      case RootDiskStrategy::dm_snapshot: create_snapshot(vm_id, image, std::max(mib, image_mib)); break;
    }
  } catch (...) {
    deactivate(vm_id);
    remove_file(disk);
    throw;
  }
  return strategy;
}

void RootDisks::create_snapshot(const std::string& vm_id, const fs::path& image, std::uint64_t mib) {
  const fs::path cow = file(vm_id, RootDiskStrategy::dm_snapshot);
  if (fs::exists(cow)) throw Error(ErrorKind::exists, fmt::format("{} already exists", cow.string()));
  // A COW device that starts with zeros is a new, empty snapshot to the kernel.
  ensure_size(cow, cow_bytes(mib));
  if (mib > disks::size_mib(image)) grow_snapshot(vm_id, image, mib);
}

void RootDisks::grow_snapshot(const std::string& vm_id, const fs::path& image, std::uint64_t mib) {
  ensure_size(file(vm_id, RootDiskStrategy::dm_snapshot), cow_bytes(mib));
  const fs::path device = activate(vm_id, RootDiskStrategy::dm_snapshot, image, mib);
  try {
    grow_filesystem(device);
  } catch (...) {
    deactivate(vm_id);
    throw;
  }
  deactivate(vm_id);
}

std::uint64_t RootDisks::size_mib(const std::string& vm_id, RootDiskStrategy strategy, const fs::path& image,
                                  std::uint64_t mib) const {
  if (strategy == RootDiskStrategy::dm_snapshot) return std::max(mib, disks::size_mib(image));
  return disks::size_mib(file(vm_id, strategy));
}

void RootDisks::grow(const std::string& vm_id, RootDiskStrategy strategy, const fs::path& image,
                     std::uint64_t from_mib, std::uint64_t to_mib) {
  if (to_mib < from_mib)
    throw Error(ErrorKind::invalid_args,
                fmt::format("disks only grow: the root disk is {} MiB, asked for {} MiB", from_mib, to_mib));
  if (to_mib == from_mib) return;
  require_free_space(vm_dir(vm_id), (to_mib - from_mib) * mib_bytes, "growing the root disk");
  if (strategy == RootDiskStrategy::dm_snapshot)
    grow_snapshot(vm_id, image, to_mib);
  else
    grow_ext4(file(vm_id, strategy), to_mib);
}

fs::path RootDisks::activate(const std::string& vm_id, RootDiskStrategy strategy, const fs::path& image,
                             std::uint64_t mib) {
  if (strategy != RootDiskStrategy::dm_snapshot) return file(vm_id, strategy);
  if (runtime_dir_.empty()) throw Error(ErrorKind::internal, "dm-snapshot root disks need a runtime directory");
  const fs::path record = root_disk_devices_file(runtime_dir_, vm_id);
  fs::create_directories(record.parent_path());
  const std::uint64_t image_sectors = fs::file_size(image) / sector_bytes;
  const std::uint64_t disk_sectors = std::max(mib * mib_bytes / sector_bytes, image_sectors);
  const fs::path cow = file(vm_id, strategy);
  RootDiskDevices devices;
  try {
    ensure_size(cow, cow_bytes((disk_sectors * sector_bytes + mib_bytes - 1) / mib_bytes));
    auto image_loop = attach_loop(image, {.read_only = true});
    devices.loops.push_back({image_loop.number, image});
    write_root_disk_devices(record, devices);
    auto cow_loop = attach_loop(cow);
    devices.loops.push_back({cow_loop.number, cow});
    // Named before they exist: a crash in between leaves a name to remove, never a device unrecorded.
    devices.dm_names = {dm_device_name(vm_id), dm_origin_name(vm_id)};
    write_root_disk_devices(record, devices);
    const auto origin = dm_create(dm_origin_name(vm_id),
                                  origin_table(loop_device_numbers(image_loop.number), image_sectors, disk_sectors), true);
    dm_create(dm_device_name(vm_id), {snapshot_target(origin, loop_device_numbers(cow_loop.number), disk_sectors)},
              false);
  } catch (...) {
    release(devices);
    remove_file(record);
    throw;
  }
  return device(vm_id, strategy);
}

fs::path RootDisks::device(const std::string& vm_id, RootDiskStrategy strategy) const {
  if (strategy == RootDiskStrategy::dm_snapshot) return dm_device_path(dm_device_name(vm_id));
  return file(vm_id, strategy);
}

void RootDisks::deactivate(const std::string& vm_id) noexcept {
  if (runtime_dir_.empty()) return;
  const fs::path record = root_disk_devices_file(runtime_dir_, vm_id);
  auto devices = read_root_disk_devices(record);
  if (!devices) return;
  // Kept when something would not go, so the next start-up tries again.
  if (release(*devices)) remove_file(record);
}

void RootDisks::remove(const std::string& vm_id) noexcept {
  deactivate(vm_id);
  for (auto strategy : {RootDiskStrategy::copy, RootDiskStrategy::dm_snapshot}) {
    std::error_code ec;
    if (fs::exists(file(vm_id, strategy), ec)) remove_file(file(vm_id, strategy));
  }
}

int RootDisks::recover(const std::set<std::string>& running_vm_ids) noexcept {
  int released = 0;
  std::set<int> kept_loops;
  try {
    std::error_code ec;
    for (fs::directory_iterator it(runtime_dir_ / "vms", ec), end; !ec && it != end; it.increment(ec)) {
      const std::string id = it->path().filename().string();
      const auto record = root_disk_devices_file(runtime_dir_, id);
      auto devices = read_root_disk_devices(record);
      if (!devices) continue;
      if (running_vm_ids.contains(id)) {
        for (const auto& loop : devices->loops) kept_loops.insert(loop.number);
        continue;
      }
      if (release(*devices)) remove_file(record);
      released += static_cast<int>(devices->dm_names.size() + devices->loops.size());
    }
    if (device_mapper_unavailable().empty()) {
      auto names = dm_list();
      // Snapshots before the origins they hold.
      std::stable_partition(names.begin(), names.end(), [](const std::string& n) { return !n.ends_with("-origin"); });
      for (const auto& name : names) {
        if (!name.starts_with("banger-")) continue;
        std::string id = name.substr(7);
        if (id.ends_with("-origin")) id.resize(id.size() - 7);
        if (running_vm_ids.contains(id)) continue;
        try {
          if (dm_remove(name)) ++released;
        } catch (const std::exception& e) {
          log::warn("cannot remove stray device-mapper device {}: {}", name, e.what());
        }
      }
    }
    // Loop devices over a VM's COW file or an image, made by a bangerd that
    // crashed before recording them.
    for (fs::directory_iterator it("/sys/block", ec), end; !ec && it != end; it.increment(ec)) {
      const std::string dev = it->path().filename().string();
      if (!dev.starts_with("loop")) continue;
      int number = -1;
      if (std::sscanf(dev.c_str(), "loop%d", &number) != 1 || kept_loops.contains(number)) continue;
      auto backing = loop_backing_file(number);
      if (!backing) continue;
      const fs::path served = without_deleted_mark(*backing);
      const bool cow_of_stopped = is_under(served, state_dir_ / "vms") && served.filename() == "rootfs.cow" &&
                                  !running_vm_ids.contains(served.parent_path().filename().string());
      if (!cow_of_stopped && !is_under(served, state_dir_ / "images")) continue;
      try {
        if (detach_loop(number, served)) ++released;
      } catch (const std::exception& e) {
        log::warn("cannot detach stray /dev/loop{}: {}", number, e.what());
      }
    }
  } catch (const std::exception& e) {
    log::warn("recovering root disk devices: {}", e.what());
  }
  return released;
}

}  // namespace banger::disks
