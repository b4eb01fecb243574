#include "workspace_archive.h"

#include "banger/client.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <memory>
#include <set>
#include <thread>

namespace banger::client::detail {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void usage(const std::string& message) { throw Error(ErrorCode::usage, {}, message); }

// `git ls-files -z` in `dir`: the tracked files, relative to it.
std::vector<std::string> tracked_files(const fs::path& dir) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) usage(std::string("pipe: ") + std::strerror(errno));
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    execlp("git", "git", "-C", dir.c_str(), "ls-files", "-z", "--cached", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  std::string listing;
  char buffer[65536];
  for (ssize_t got; (got = read(out[0], buffer, sizeof buffer)) > 0;) listing.append(buffer, static_cast<size_t>(got));
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    usage("git ls-files failed in " + dir.string() + " (use --all to send everything)");
  std::vector<std::string> files;
  for (std::size_t at = 0; at < listing.size();) {
    const auto end = listing.find('\0', at);
    files.push_back(listing.substr(at, end - at));
    at = end == std::string::npos ? listing.size() : end + 1;
  }
  return files;
}

bool sendable(const fs::file_status& status) {
  return fs::is_regular_file(status) || fs::is_directory(status) || fs::is_symlink(status);
}

void add_all_below(const fs::path& root, const fs::path& below, std::set<std::string>& paths) {
  std::error_code error;
  for (fs::recursive_directory_iterator it(root / below, fs::directory_options::none, error), end; it != end;
       it.increment(error)) {
    if (error) usage("cannot read " + (root / below).string() + ": " + error.message());
    if (sendable(it->symlink_status())) paths.insert(it->path().lexically_relative(root).generic_string());
  }
  if (error) usage("cannot read " + (root / below).string() + ": " + error.message());
}

// libarchive writes through this to a socket: send() with MSG_NOSIGNAL.
la_ssize_t send_block(archive* a, void* data, const void* buffer, size_t length) {
  const int fd = *static_cast<int*>(data);
  const char* at = static_cast<const char*>(buffer);
  size_t left = length;
  while (left > 0) {
    const ssize_t sent = send(fd, at, left, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) {
      archive_set_error(a, errno, "bangerd stopped reading the workspace stream");
      return -1;
    }
    at += sent;
    left -= static_cast<size_t>(sent);
  }
  return static_cast<la_ssize_t>(length);
}

void write_entries(archive* out, const WorkspaceTree& tree) {
  std::unique_ptr<archive, decltype(&archive_read_free)> disk(archive_read_disk_new(), archive_read_free);
  archive_read_disk_set_symlink_physical(disk.get());
  std::vector<char> buffer(256 * 1024);
  for (const auto& relative : tree.paths) {
    const fs::path source = tree.root / relative;
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), archive_entry_free);
    archive_entry_copy_sourcepath(entry.get(), source.c_str());
    int fd = -1;
    struct stat st {};
    if (lstat(source.c_str(), &st) != 0) usage("cannot read " + source.string() + ": " + std::strerror(errno));
    if (S_ISREG(st.st_mode)) {
      fd = open(source.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      if (fd < 0) usage("cannot read " + source.string() + ": " + std::strerror(errno));
    }
    std::unique_ptr<int, void (*)(int*)> closer(&fd, [](int* f) {
      if (*f >= 0) close(*f);
    });
    if (archive_read_disk_entry_from_file(disk.get(), entry.get(), fd, &st) != ARCHIVE_OK)
      usage("cannot read " + source.string() + ": " + archive_error_string(disk.get()));
    archive_entry_set_pathname(entry.get(), relative.c_str());
    // Hard links would need their targets in the same stream; each file travels on its own.
    archive_entry_set_nlink(entry.get(), 1);
    if (archive_write_header(out, entry.get()) != ARCHIVE_OK)
      throw Error(ErrorCode::failed, {}, std::string("writing the workspace stream: ") + archive_error_string(out));
    if (fd < 0) continue;
    for (ssize_t got; (got = read(fd, buffer.data(), buffer.size())) != 0;) {
      if (got < 0) usage("cannot read " + source.string() + ": " + std::strerror(errno));
      if (archive_write_data(out, buffer.data(), static_cast<size_t>(got)) < 0)
        throw Error(ErrorCode::failed, {}, std::string("writing the workspace stream: ") + archive_error_string(out));
    }
  }
}

}  // namespace

WorkspaceTree workspace_tree(const fs::path& dir, bool all) {
  std::error_code error;
  const auto root = fs::canonical(dir, error);
  if (error || !fs::is_directory(root)) usage(dir.string() + " is not a directory");
  std::set<std::string> paths;
  if (!all && fs::exists(fs::symlink_status(root / ".git"))) {
    for (auto& file : tracked_files(root))
      if (sendable(fs::symlink_status(root / file))) paths.insert(std::move(file));  // deleted but tracked: skipped
    paths.insert(".git");
    if (fs::is_directory(fs::symlink_status(root / ".git"))) add_all_below(root, ".git", paths);
  } else {
    add_all_below(root, "", paths);
  }
  WorkspaceTree tree{root, {paths.begin(), paths.end()}, 0};
  for (const auto& p : tree.paths)
    if (auto s = fs::symlink_status(root / p); fs::is_regular_file(s)) tree.bytes += fs::file_size(root / p, error);
  return tree;
}

void write_workspace(int fd, const WorkspaceTree& tree) {
  std::unique_ptr<archive, decltype(&archive_write_free)> out(archive_write_new(), archive_write_free);
  archive_write_set_format_pax_restricted(out.get());
  archive_write_set_bytes_per_block(out.get(), 64 * 1024);
  archive_write_set_bytes_in_last_block(out.get(), 1);
  if (archive_write_open(out.get(), &fd, nullptr, send_block, nullptr) != ARCHIVE_OK)
    throw Error(ErrorCode::failed, {}, std::string("workspace stream: ") + archive_error_string(out.get()));
  try {
    write_entries(out.get(), tree);
  } catch (...) {
    // A stream cut at an entry's boundary could pass for a complete (shorter)
    // tree; a header of all ones cannot, so bangerd refuses the whole push.
    const std::string bad(512, '\xff');
    send(fd, bad.data(), bad.size(), MSG_NOSIGNAL);
    throw;
  }
  if (archive_write_close(out.get()) != ARCHIVE_OK)
    throw Error(ErrorCode::failed, {}, std::string("workspace stream: ") + archive_error_string(out.get()));
}

void extract_workspace(int fd, const fs::path& dir) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) usage("cannot make " + dir.string() + ": " + error.message());
  std::exception_ptr failure;
  // A thread of its own, with a working directory of its own (CLONE_FS), so the
  // secure flags see relative paths and the process's directory never moves.
  std::thread worker([&] {
    try {
      if (unshare(CLONE_FS) != 0 || chdir(dir.c_str()) != 0)
        usage("cannot enter " + dir.string() + ": " + std::strerror(errno));
      std::unique_ptr<archive, decltype(&archive_read_free)> in(archive_read_new(), archive_read_free);
      archive_read_support_format_tar(in.get());
      std::unique_ptr<archive, decltype(&archive_write_free)> out(archive_write_disk_new(), archive_write_free);
      archive_write_disk_set_options(out.get(), ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_PERM |
                                                    ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_UNLINK);
      auto fail = [](archive* a, const std::string& what) {
        const char* why = archive_error_string(a);
        throw Error(ErrorCode::failed, {}, what + ": " + (why != nullptr ? why : "unknown error"));
      };
      if (archive_read_open_fd(in.get(), fd, 64 * 1024) != ARCHIVE_OK) fail(in.get(), "workspace stream");
      archive_entry* entry = nullptr;
      std::vector<char> buffer(256 * 1024);
      for (int r; (r = archive_read_next_header(in.get(), &entry)) != ARCHIVE_EOF;) {
        if (r < ARCHIVE_WARN) fail(in.get(), "workspace stream");
        if (archive_write_header(out.get(), entry) < ARCHIVE_WARN)
          fail(out.get(), std::string("cannot write ") + archive_entry_pathname(entry));
        for (la_ssize_t got; (got = archive_read_data(in.get(), buffer.data(), buffer.size())) != 0;) {
          if (got < 0) fail(in.get(), "workspace stream");
          if (archive_write_data(out.get(), buffer.data(), static_cast<size_t>(got)) < 0)
            fail(out.get(), std::string("cannot write ") + archive_entry_pathname(entry));
        }
      }
      if (archive_write_close(out.get()) != ARCHIVE_OK) fail(out.get(), "finishing " + dir.string());
    } catch (...) {
      failure = std::current_exception();
    }
  });
  worker.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace banger::client::detail
