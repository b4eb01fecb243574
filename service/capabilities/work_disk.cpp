#include "capabilities/work_disk.h"
#include "core/fault_points.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>

#include <string>
#include <system_error>

#include <fmt/format.h>

#include "config.h"
#include "core/errors.h"
#include "core/log.h"
#include "core/options.h"
#include "core/sparse_copy.h"
#include "disks/ext4_image.h"

namespace banger {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t mib_bytes = 1024 * 1024;
constexpr const char* label = "banger-work";
// The guest sees the drives in the order the capabilities add them: the root disk first.
constexpr const char* guest_device = "/dev/vdb";

// The directory's nearest existing ancestor, which tells the file system it
// will be on: at create the VM's directory (or the state directory) is not there yet.
fs::path existing_ancestor(fs::path dir) {
  std::error_code ec;
  while (!dir.empty() && !fs::exists(dir, ec) && dir != dir.parent_path()) dir = dir.parent_path();
  return dir;
}

// The size of the file system holding `dir`; 0 when unknown.
std::uint64_t host_capacity_bytes(const fs::path& dir) {
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) != 0) return 0;
  return static_cast<std::uint64_t>(st.f_blocks) * st.f_frsize;
}

// mkfs and resize2fs report a full host disk in words only.
[[noreturn]] void rethrow_full_disk_as_exhausted(const Error& e, const fs::path& file) {
  if (e.kind() == ErrorKind::backend_failed && std::string(e.what()).find("No space left") != std::string::npos)
    throw Error(ErrorKind::resource_exhausted,
                fmt::format("the disk holding {} is full: {}", file.parent_path().string(), e.what()));
  throw e;
}

}  // namespace

WorkDisk::WorkDisk(fs::path state_dir) : state_dir_(std::move(state_dir)) {}

fs::path WorkDisk::disk_of(const VmRecord& vm) const { return state_dir_ / "vms" / vm.id / "work.ext4"; }

fs::path WorkDisk::kept_dir(const fs::path& state_dir) { return state_dir / "kept"; }

fs::path WorkDisk::kept_disk_of(const VmRecord& vm) const {
  return kept_dir(state_dir_) / fmt::format("{}-{}.work.ext4", vm.name, vm.id.substr(0, 12));
}

std::uint64_t WorkDisk::metadata_bytes(std::uint64_t mib) {
  // Measured with e2fsprogs 1.47: 0.4 MiB for 64 MiB, 4.2 MiB for 8 GiB,
  // 56 MiB for 4 TiB; 16 MiB plus 1/65536 of the size stays above that.
  return 16 * mib_bytes + mib * mib_bytes / 65536;
}

void WorkDisk::check_room(const VmRecord& vm, std::uint64_t new_metadata_bytes) const {
  if (vm.work_disk_mib < min_work_disk_mib || vm.work_disk_mib > max_disk_mib)
    throw Error(ErrorKind::invalid_args, fmt::format("a work disk must be between {} and {} MiB, got {}",
                                                     min_work_disk_mib, max_disk_mib, vm.work_disk_mib));
  // Sparse disks may promise more than is free (they fill as the guest
  // writes), but not more than the host's whole disk: that is a typo.
  const auto dir = existing_ancestor(disk_of(vm).parent_path());
  const auto capacity = host_capacity_bytes(dir);
  if (capacity != 0 && vm.work_disk_mib * mib_bytes > capacity)
    throw Error(ErrorKind::resource_exhausted,
                fmt::format("a work disk of {} MiB cannot fit: the disk holding {} has {} MiB in all",
                            vm.work_disk_mib, state_dir_.string(), capacity / mib_bytes));
  disks::require_free_space(dir, new_metadata_bytes,
                            fmt::format("a work disk of {} MiB", vm.work_disk_mib));
}

void WorkDisk::make(const VmRecord& vm) {
  const auto file = disk_of(vm);
  try {
    disks::make_ext4(file, vm.work_disk_mib, label);
  } catch (const Error& e) {
    rethrow_full_disk_as_exhausted(e, file);
  }
}

void WorkDisk::check_create(const VmRecord& vm) {
  if (vm.work_disk_mib > 0) check_room(vm, metadata_bytes(vm.work_disk_mib));
}

void WorkDisk::provision(VmRecord& vm, ProgressSink& progress) {
  if (vm.work_disk_mib == 0) return;
  progress.report("making the work disk", 0.85);
  check_room(vm, metadata_bytes(vm.work_disk_mib));  // the space may have gone since check_create
  make(vm);
  BANGER_FAULT_POINT("create.work-disk-made");
  progress.report("work disk ready", 0.9);
}

void WorkDisk::provision_clone(const VmRecord& source, VmRecord& clone, ProgressSink& progress) {
  copy_disk(source, disk_of(source), clone, progress);
}

void WorkDisk::provision_from_checkpoint(const VmRecord& source, const fs::path& dir, VmRecord& clone,
                                         ProgressSink& progress) {
  // save_disks named the copy after the source's own file; a checkpoint without one: a new disk.
  copy_disk(source, dir / disk_of(source).filename(), clone, progress);
}

void WorkDisk::copy_disk(const VmRecord& source, const fs::path& from, VmRecord& clone, ProgressSink& progress) {
  if (clone.work_disk_mib == 0) return;
  if (source.work_disk_mib == 0 || !fs::exists(from)) {
    provision(clone, progress);
    return;
  }
  progress.report("copying the work disk", 0.8);
  check_room(clone, metadata_bytes(clone.work_disk_mib));
  const auto to = disk_of(clone);
  try {
    copy_sparse(from, to);
    // A checkpoint's copy is as big as the disk was then; the VM's may have grown since.
    if (disks::size_mib(to) < clone.work_disk_mib) disks::grow_ext4(to, clone.work_disk_mib);
  } catch (...) {
    std::error_code ignored;
    fs::remove(to, ignored);
    throw;
  }
  BANGER_FAULT_POINT("clone.work-disk-copied");
  progress.report("work disk ready", 0.9);
}

void WorkDisk::save_disks(const VmRecord& vm, const fs::path& dir) {
  const auto from = disk_of(vm);
  if (vm.work_disk_mib == 0 || !fs::exists(from)) return;
  copy_sparse_durably(from, dir / from.filename());
}

void WorkDisk::restore_disks(const VmRecord& vm, const fs::path& dir) {
  const auto to = disk_of(vm);
  const auto from = dir / to.filename();
  if (fs::exists(from)) replace_with_copy(from, to);
}

void WorkDisk::add_start_preflight(const VmRecord& vm, std::vector<PreflightCheck>& checks) {
  if (vm.work_disk_mib == 0) return;
  checks.push_back({"work disk", [file = disk_of(vm), name = vm.name] {
                      if (!fs::exists(file))
                        throw Error(ErrorKind::backend_failed,
                                    fmt::format("cannot start VM '{}': its work disk {} is missing", name, file.string()));
                    }});
}

void WorkDisk::contribute_guest(const VmRecord& vm, GuestConfig& guest) {
  if (vm.work_disk_mib > 0) guest.values["work"] = guest_device;
}

void WorkDisk::contribute_machine(const VmRecord& vm, MachineConfig& machine) {
  if (vm.work_disk_mib > 0) machine.drives.push_back({"work", disk_of(vm), false, false});
}

void WorkDisk::cleanup(const VmRecord& vm, CleanupReason reason) noexcept {
  if (reason != CleanupReason::deleted && reason != CleanupReason::create_failed) return;
  const auto file = disk_of(vm);
  std::error_code ec;
  if (!fs::exists(file, ec)) return;
  if (reason == CleanupReason::deleted && vm.keep_work_disk) {
    const auto kept = kept_disk_of(vm);
    fs::create_directories(kept.parent_path(), ec);
    if (!ec) fs::permissions(kept.parent_path(), fs::perms::owner_all, ec);
    if (!ec) fs::rename(file, kept, ec);
    if (ec) {
      // Another file system under <state>/kept: copy, holes and all.
      try {
        copy_sparse(file, kept);
        ec.clear();
      } catch (const std::exception& e) {
        fs::remove(kept, ec);
        ec = std::make_error_code(std::errc::io_error);
        log::error("VM '{}' asked to keep its work disk, but it cannot go to {}: {}; it is deleted", vm.name,
                   kept.string(), e.what());
      }
    }
    // The file's owner says whose [quotas] max_disk_mib it counts against
    // (HostDiskLedger); the directory is root's alone, so it grants no access.
    if (!ec && ::chown(kept.c_str(), vm.owner_uid, static_cast<gid_t>(-1)) != 0)
      log::warn("cannot give the kept work disk {} to uid {}: {}", kept.string(), vm.owner_uid,
                std::error_code(errno, std::system_category()).message());
    if (!ec) log::info("VM '{}' is deleted; its work disk is kept at {}", vm.name, kept.string());
  }
  fs::remove(file, ec);
  if (ec) log::warn("cannot remove {}: {}", file.string(), ec.message());
}

void WorkDisk::apply_config_change(const VmRecord& before, const VmRecord& after) {
  if (after.work_disk_mib == before.work_disk_mib) return;
  if (after.work_disk_mib < before.work_disk_mib)
    throw Error(ErrorKind::invalid_args,
                fmt::format("option 'work_disk': the work disk is {} MiB and disks only grow (asked for {} MiB)",
                            before.work_disk_mib, after.work_disk_mib));
  const auto file = disk_of(after);
  if (before.work_disk_mib == 0) {
    check_room(after, metadata_bytes(after.work_disk_mib));
    make(after);
    return;
  }
  if (!fs::exists(file))
    throw Error(ErrorKind::backend_failed,
                fmt::format("cannot grow the work disk of VM '{}': {} is missing", after.name, file.string()));
  check_room(after, metadata_bytes(after.work_disk_mib - before.work_disk_mib));
  try {
    disks::grow_ext4(file, after.work_disk_mib);
  } catch (const Error& e) {
    rethrow_full_disk_as_exhausted(e, file);
  }
}

void WorkDisk::add_doctor_checks(std::vector<DoctorCheck>& checks) {
  std::string missing;
  for (const char* tool : {"mkfs.ext4", "resize2fs", "e2fsck"})
    if (find_on_path(tool, {}).empty()) missing += missing.empty() ? tool : fmt::format(", {}", tool);
  if (missing.empty())
    checks.push_back({"work-disk", "ok", "mkfs.ext4, resize2fs and e2fsck are there to make and grow work disks",
                      find_on_path("mkfs.ext4", {}).parent_path().string(), ""});
  else
    checks.push_back({"work-disk", "fail", fmt::format("{} missing: VMs with a work disk cannot be made or grown", missing),
                      "", "apt-get install e2fsprogs"});
}

}  // namespace banger
