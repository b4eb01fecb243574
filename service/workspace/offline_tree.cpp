// The offline route: the stopped VM's work disk image, mounted where only this thread sees it.
#include <archive.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/fault_points.h"
#include "workspace/archives.h"
#include "workspace/private_mount.h"
#include "workspace/routes.h"

namespace banger::workspace {

namespace fs = std::filesystem;

namespace {

// The guest owns the work disk's content: a symlink it made on the way to the
// target would lead the daemon out of the disk.
void refuse_symlinks_on_the_way(const fs::path& root, const std::string& relative) {
  fs::path at = root;
  for (const auto& part : fs::path(relative)) {
    at /= part;
    if (fs::is_symlink(fs::symlink_status(at)))
      throw Error(ErrorKind::invalid_args,
                  fmt::format("'{}' on the work disk is a symlink; workspaces are not written through it",
                              fs::relative(at, root).string()));
  }
}

// Moves every entry of `from` into `into`, replacing what is there, merging directories.
void merge_into(const fs::path& from, const fs::path& into) {
  for (const auto& entry : fs::directory_iterator(from)) {
    const fs::path there = into / entry.path().filename();
    const auto existing = fs::symlink_status(there);
    if (entry.is_directory() && !entry.is_symlink() && fs::is_directory(existing)) {
      merge_into(entry.path(), there);
      continue;
    }
    if (fs::exists(existing)) fs::remove_all(there);
    fs::rename(entry.path(), there);
  }
}

void commit(const fs::path& root, const fs::path& staging, const PushOptions& options) {
  refuse_symlinks_on_the_way(root, options.target);
  const fs::path target = root / options.target;
  if (options.replace && !options.target.empty()) fs::remove_all(target);
  if (!options.target.empty() && !fs::exists(fs::symlink_status(target))) {
    fs::create_directories(target.parent_path());
    fs::rename(staging, target);
    return;
  }
  if (!fs::is_directory(fs::symlink_status(target)))
    throw Error(ErrorKind::invalid_args, fmt::format("'{}' on the work disk is not a directory", options.target));
  merge_into(staging, target);
  fs::remove_all(staging);
}

}  // namespace

void push_offline(const fs::path& image, int archive, const PushOptions& options, const ByteProgress& progress) {
  with_private_mount(image, [&](const fs::path& root) {
    BANGER_FAULT_POINT("workspace.disk-mounted");
    const fs::path staging = root / staging_name();
    fs::create_directory(staging);
    fs::permissions(staging, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                 fs::perms::others_read | fs::perms::others_exec);
    try {
      // Relative paths below the staging directory: libarchive's checks then cover all of them.
      fs::current_path(staging);
      auto in = tar_reader(archive);
      auto out = disk_writer();
      copy_entries(in.get(), out.get(), {.progress = progress, .keep = {}, .descend = false});
      fs::current_path(root);
      BANGER_FAULT_POINT("workspace.staged");
      commit(root, staging, options);
      BANGER_FAULT_POINT("workspace.committed");
    } catch (const fs::filesystem_error& e) {
      std::error_code ignored;
      fs::current_path(root, ignored);
      fs::remove_all(staging, ignored);
      throw Error(e.code() == std::errc::no_space_on_device ? ErrorKind::resource_exhausted : ErrorKind::backend_failed,
                  fmt::format("the work disk: {}", e.what()));
    } catch (...) {
      std::error_code ignored;
      fs::current_path(root, ignored);
      fs::remove_all(staging, ignored);
      throw;
    }
  });
}

void pull_offline(const fs::path& image, int archive, const PullOptions& options, const ByteProgress& progress) {
  with_private_mount(image, [&](const fs::path& root) {
    refuse_symlinks_on_the_way(root, options.source);
    const fs::path source = root / options.source;
    if (!fs::is_directory(fs::symlink_status(source)))
      throw Error(ErrorKind::invalid_args, fmt::format("/work/{} is not a directory in the VM", options.source));
    fs::current_path(source);
    Archive in(archive_read_disk_new());
    if (!in) throw Error(ErrorKind::internal, "libarchive cannot make a disk reader");
    archive_read_disk_set_symlink_physical(in.get());
    archive_read_disk_set_behavior(in.get(), ARCHIVE_READDISK_NO_XATTR | ARCHIVE_READDISK_NO_ACL |
                                                 ARCHIVE_READDISK_NO_FFLAGS);
    if (archive_read_disk_open(in.get(), ".") != ARCHIVE_OK)
      throw Error(ErrorKind::backend_failed,
                  fmt::format("cannot read /work/{}: {}", options.source, archive_error_string(in.get())));
    auto out = tar_writer(archive);
    // Staging directories of interrupted pushes are not part of the tree.
    copy_entries(in.get(), out.get(),
                 {.progress = progress,
                  .keep = not_staging,
                  .descend = true});
  });
}

}  // namespace banger::workspace
