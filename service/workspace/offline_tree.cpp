// The offline route: the stopped VM's work disk image, read and written by
// banger-diskfs (libext2fs, diskfs/diskfs_main.cpp) in the sandbox of
// disks/sandbox.h. The host kernel never mounts what the guest wrote (issue 17,
// finding 2): a crafted filesystem meets only libext2fs, as an unprivileged uid
// without capabilities, network or the system calls a seccomp filter refuses.
// bangerd checks the stream entry by entry (copy_entries) on its side of the pipe.
#include <archive.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <optional>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/fault_points.h"
#include "core/unique_fd.h"
#include "disks/sandbox.h"
#include "workspace/archives.h"
#include "workspace/routes.h"

namespace banger::workspace {

namespace fs = std::filesystem;

namespace {

std::pair<UniqueFd, UniqueFd> socket_pair() {
  int ends[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0)
    throw Error(ErrorKind::backend_failed, fmt::format("socketpair: {}", std::strerror(errno)));
  return {UniqueFd(ends[0]), UniqueFd(ends[1])};
}

// e2fsck -p before libext2fs touches the disk: it replays the journal of a
// guest that stopped unclean (libext2fs would not see, and the guest would
// replay over, what is in it) and repairs a disk a killed banger-diskfs left
// marked not clean. Exit status 1 (fixed) and 2 (fixed, reboot) are fine.
void check_disk(const fs::path& image) {
  try {
    disks::run_tool_on_image({"e2fsck", "-p", "{image}"}, image);
  } catch (const Error& e) {
    const std::string message = e.what();
    if (message.find("exit status 1)") != std::string::npos || message.find("exit status 2)") != std::string::npos)
      return;
    throw Error(ErrorKind::backend_failed, fmt::format("the work disk needs repair: {}", message));
  }
}

// A banger-diskfs run: the sandboxed child and where its error message goes
// (a memfd, which never fills up and blocks it).
class DiskHelper {
 public:
  DiskHelper(const fs::path& program, const std::vector<std::string>& args, const fs::path& image,
             int in, int out, int control)
      : image_(open(image.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW)),
        errors_(memfd_create("banger-diskfs-errors", MFD_CLOEXEC)) {
    // Opened here, passed open: the sandbox's uid needs no right to the file or the directories above it.
    if (!image_.valid())
      throw Error(ErrorKind::backend_failed, fmt::format("cannot open {}: {}", image.string(), std::strerror(errno)));
    if (!errors_.valid()) throw Error(ErrorKind::backend_failed, fmt::format("memfd_create: {}", std::strerror(errno)));
    std::vector<std::string> argv{program.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_ = disks::spawn_sandboxed(argv, {in, out, errors_.get(), image_.get(), control});
  }
  ~DiskHelper() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      disks::wait_for_sandboxed(pid_);
    }
  }
  // Its failure, if it failed: the kind it exited with and its message.
  std::optional<Error> wait() {
    const int status = disks::wait_for_sandboxed(std::exchange(pid_, 0));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return std::nullopt;
    std::string message(4096, '\0');
    const ssize_t got = pread(errors_.get(), message.data(), message.size(), 0);
    message.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (code >= 10 && code <= 10 + static_cast<int>(ErrorKind::internal) && !message.empty())
      return Error(static_cast<ErrorKind>(code - 10), message);
    return Error(ErrorKind::backend_failed,
                 fmt::format("banger-diskfs failed ({}){}{}",
                             WIFEXITED(status) ? fmt::format("exit status {}", code)
                                               : fmt::format("signal {}", WTERMSIG(status)),
                             message.empty() ? "" : ": ", message));
  }

 private:
  UniqueFd image_;
  UniqueFd errors_;
  pid_t pid_ = 0;
};

void send_all(int fd, std::span<const char> bytes) {
  while (!bytes.empty()) {
    const ssize_t sent = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0) throw Error(ErrorKind::backend_failed, fmt::format("cannot pass the workspace on: {}", std::strerror(errno)));
    bytes = bytes.subspan(static_cast<std::size_t>(sent));
  }
}

std::string read_line(int fd) {
  std::string line;
  char c = 0;
  for (;;) {
    const ssize_t got = read(fd, &c, 1);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0 || c == '\n') return line;
    line += c;
  }
}

ErrorKind kind_of(const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const Error& e) {
    return e.kind();
  } catch (...) {
    return ErrorKind::internal;
  }
}

}  // namespace

void push_offline(const fs::path& helper, const fs::path& image, int archive, const PushOptions& options,
                  const ByteProgress& progress) {
  check_disk(image);
  auto [data, data_child] = socket_pair();
  auto [control, control_child] = socket_pair();
  DiskHelper diskfs(helper, {"push", staging_name(), options.target, options.replace ? "1" : "0"}, image,
                    data_child.get(), -1, control_child.get());
  data_child.reset();
  control_child.reset();
  // The name stays from the days of a private mount: the disk is open in banger-diskfs now.
  BANGER_FAULT_POINT("workspace.disk-mounted");
  std::exception_ptr failure;
  try {
    auto in = tar_reader(archive);
    auto out = tar_writer([fd = data.get()](std::span<const char> bytes) { send_all(fd, bytes); });
    copy_entries(in.get(), out.get(), {.progress = progress, .keep = {}});
  } catch (...) {
    failure = std::current_exception();
  }
  data.reset();
  bool committed = false;
  if (!failure && read_line(control.get()) == "staged") {
    BANGER_FAULT_POINT("workspace.staged");
    committed = send(control.get(), "c", 1, MSG_NOSIGNAL) == 1;
  }
  control.reset();  // without a 'c': banger-diskfs removes its staging directory
  const auto helper_failure = diskfs.wait();
  // What the caller sent wrong is the story; else what went wrong on the disk (a full one: our send failed).
  if (failure && (kind_of(failure) == ErrorKind::invalid_args || !helper_failure)) std::rethrow_exception(failure);
  if (helper_failure) throw *helper_failure;
  if (!committed) throw Error(ErrorKind::backend_failed, "banger-diskfs ended before staging the workspace");
  BANGER_FAULT_POINT("workspace.committed");
}

void pull_offline(const fs::path& helper, const fs::path& image, int archive, const PullOptions& options,
                  const ByteProgress& progress) {
  check_disk(image);
  auto [data, data_child] = socket_pair();
  DiskHelper diskfs(helper, {"pull", options.source}, image, -1, data_child.get(), -1);
  data_child.reset();
  std::exception_ptr failure;
  try {
    auto in = tar_reader(data.get());
    auto out = tar_writer(archive);
    // Staging directories of interrupted pushes are not part of the tree.
    copy_entries(in.get(), out.get(), {.progress = progress, .keep = not_staging});
  } catch (...) {
    failure = std::current_exception();
  }
  data.reset();  // a helper still sending ends (SIGPIPE)
  const auto helper_failure = diskfs.wait();
  // The helper's own verdict (no such directory, a symlink on the way) explains a stream that ended early.
  if (helper_failure && helper_failure->kind() != ErrorKind::backend_failed) throw *helper_failure;
  if (failure) std::rethrow_exception(failure);
  if (helper_failure) throw *helper_failure;
}

}  // namespace banger::workspace
