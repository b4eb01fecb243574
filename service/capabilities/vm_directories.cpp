#include "capabilities/vm_directories.h"
#include "core/fault_points.h"

#include <system_error>

#include <fmt/format.h>

#include "core/console_log.h"
#include "core/errors.h"
#include "core/log.h"

namespace banger {

namespace fs = std::filesystem;

namespace {

void make_private_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!ec) fs::permissions(dir, fs::perms::owner_all, ec);
  if (ec) throw Error(ErrorKind::backend_failed, fmt::format("cannot create {}: {}", dir.string(), ec.message()));
}

void remove_dir(const fs::path& dir) noexcept {
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) log::warn("cannot remove {}: {}", dir.string(), ec.message());
}

// The console log is the post-mortem of a stopped VM: everything else goes.
void remove_all_but_console_log(const fs::path& dir) noexcept {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().filename() != console_log_name) remove_dir(it->path());
  if (ec && ec != std::errc::no_such_file_or_directory) log::warn("cannot clean {}: {}", dir.string(), ec.message());
}

}  // namespace

VmDirectories::VmDirectories(fs::path state_dir, fs::path runtime_dir)
    : state_root_(std::move(state_dir) / "vms"), runtime_root_(std::move(runtime_dir) / "vms") {}

fs::path VmDirectories::state_dir_of(const VmRecord& vm) const { return state_root_ / vm.id; }
fs::path VmDirectories::runtime_dir_of(const VmRecord& vm) const { return runtime_root_ / vm.id; }

void VmDirectories::provision(VmRecord& vm, ProgressSink&) {
  make_private_dir(state_dir_of(vm));
  BANGER_FAULT_POINT("create.directories-made");
}

void VmDirectories::prepare_host(const VmRecord& vm) {
  make_private_dir(runtime_dir_of(vm));
  // Each run starts a new log, so its offsets start at 0 again.
  std::error_code ec;
  fs::remove(console_log_path(runtime_dir_of(vm)), ec);
  if (ec) throw Error(ErrorKind::backend_failed, fmt::format("cannot remove the old console log: {}", ec.message()));
}

void VmDirectories::cleanup(const VmRecord& vm, CleanupReason reason) noexcept {
  if (reason == CleanupReason::deleted || reason == CleanupReason::create_failed) {
    remove_dir(runtime_dir_of(vm));
    remove_dir(state_dir_of(vm));
  } else {
    remove_all_but_console_log(runtime_dir_of(vm));
  }
}

}  // namespace banger
