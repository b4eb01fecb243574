#include "vmm/firecracker/jailer.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/log.h"

namespace banger {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& why) {
  throw Error(ErrorKind::backend_failed, fmt::format("jailer chroot: {}: {}", what, why));
}

void give_to_jailer(JailOwner owner, const fs::path& path) {
  if (lchown(path.c_str(), owner.uid, owner.gid) != 0)
    fail(fmt::format("chown {}:{} {}", owner.uid, owner.gid, path.string()), strerror(errno));
}

bool others_can_read(const fs::path& path) {
  std::error_code ec;
  return (fs::status(path, ec).permissions() & fs::perms::others_read) != fs::perms::none;
}

// A hard link when source and jail share a file system, else a copy (the
// jailer's chroot cannot reach files outside it). A read-only file the VM's
// uid could not read through the link (an image made under bangerd's umask
// 0077 in its systemd unit) is copied too: the shared original keeps its mode.
void place(JailOwner owner, const fs::path& source, const fs::path& target, bool writable) {
  std::error_code ec;
  if (writable || others_can_read(source)) {
    fs::create_hard_link(source, target, ec);
    if (!ec) {
      if (writable) give_to_jailer(owner, target);
      return;
    }
    if (ec != std::errc::cross_device_link)
      fail(fmt::format("link {} to {}", source.string(), target.string()), ec.message());
  }
  fs::copy_file(source, target, ec);
  if (ec) fail(fmt::format("copy {} to {}", source.string(), target.string()), ec.message());
  give_to_jailer(owner, target);
}

}  // namespace

fs::path jail_dir(const FirecrackerSettings& settings, const std::string& vm_id) {
  return settings.chroot_base / settings.binary.filename() / vm_id;
}

fs::path jail_root(const FirecrackerSettings& settings, const std::string& vm_id) {
  return jail_dir(settings, vm_id) / "root";
}

JailOwner configured_owner(const FirecrackerSettings& settings) {
  return {settings.jailer_uid, settings.jailer_gid};
}

JailOwner jail_owner_of(JailerIds* ids, const FirecrackerSettings& settings, const std::string& vm_id) {
  return ids != nullptr ? ids->acquire(vm_id) : configured_owner(settings);
}

std::vector<std::string> jailer_command_line(const FirecrackerSettings& settings, const std::string& vm_id) {
  return jailer_command_line(settings, vm_id, configured_owner(settings));
}

std::vector<std::string> jailer_command_line(const FirecrackerSettings& settings, const std::string& vm_id,
                                             JailOwner owner) {
  std::vector<std::string> argv{settings.jailer.string(),
                                "--id", vm_id,
                                "--exec-file", settings.binary.string(),
                                "--uid", std::to_string(owner.uid),
                                "--gid", std::to_string(owner.gid),
                                "--chroot-base-dir", settings.chroot_base.string(),
                                "--cgroup-version", std::to_string(settings.jailer_cgroup_version)};
  for (const auto& cgroup : settings.jailer_cgroups) argv.insert(argv.end(), {"--cgroup", cgroup});
  // The jailer passes --id to firecracker itself.
  argv.insert(argv.end(), {"--", "--api-sock", jailed_api_socket});
  return argv;
}

MachineConfig jailed_view(const MachineConfig& machine) {
  MachineConfig view = machine;
  view.runtime_dir = "/";
  view.kernel = "/kernel";
  if (!machine.initrd.empty()) view.initrd = "/initrd";
  for (auto& drive : view.drives) drive.path = "/drive-" + drive.id;
  return view;
}

void prepare_jail(const FirecrackerSettings& settings, const MachineConfig& machine) {
  prepare_jail(settings, machine, configured_owner(settings));
}

void prepare_jail(const FirecrackerSettings& settings, const MachineConfig& machine, JailOwner owner) {
  const fs::path jail = jail_dir(settings, machine.vm_id);
  const fs::path root = jail_root(settings, machine.vm_id);
  remove_jail(jail);
  try {
    std::error_code ec;
    fs::create_directories(root / "run", ec);
    if (ec) fail("mkdir " + (root / "run").string(), ec.message());
    // The VMM, as the VM's uid, must search its "/" whatever bangerd's umask.
    fs::permissions(root, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec, ec);
    if (ec) fail("chmod " + root.string(), ec.message());
    give_to_jailer(owner, root / "run");

    const MachineConfig view = jailed_view(machine);
    place(owner, machine.kernel, root / view.kernel.relative_path(), false);
    if (!machine.initrd.empty()) place(owner, machine.initrd, root / view.initrd.relative_path(), false);
    for (std::size_t i = 0; i < machine.drives.size(); ++i)
      place(owner, machine.drives[i].path, root / view.drives[i].path.relative_path(), !machine.drives[i].read_only);
    // Firecracker opens, never creates, its log and metrics files.
    for (const char* file : {"firecracker.log", "metrics.json"}) {
      if (!std::ofstream(root / file)) fail("create " + (root / file).string(), "cannot write");
      give_to_jailer(owner, root / file);
    }
  } catch (...) {
    remove_jail(jail);
    throw;
  }
}

void remove_jail(const fs::path& jail) noexcept {
  std::error_code ec;
  fs::remove_all(jail, ec);
  if (ec) log::warn("cannot remove the jail {}: {}", jail.string(), ec.message());
}

}  // namespace banger
