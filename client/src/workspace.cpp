// Client's workspace methods: the folder travels as a tar stream over a socket
// pair whose other end bangerd gets as a descriptor (h), written or read by a
// thread of ours while this thread follows the Operation.
#include "client_impl.h"
#include "errors_internal.h"
#include "operation_watch.h"
#include "workspace_archive.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <thread>

namespace banger::client {

using detail::translate;

namespace {

// Our end of the stream and the daemon's, as one connected socket pair: unlike
// a pipe, shutdown() wakes our thread when we give up, and a reader that went
// away is an error rather than SIGPIPE.
struct StreamEnds {
  int ours = -1;
  int theirs = -1;
  StreamEnds() {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
      throw Error(ErrorCode::failed, {}, std::string("socketpair: ") + std::strerror(errno));
    ours = fds[0];
    theirs = fds[1];
  }
  ~StreamEnds() {
    if (ours >= 0) close(ours);
    if (theirs >= 0) close(theirs);
  }
  sdbus::UnixFd hand_over() {
    sdbus::UnixFd fd(theirs, sdbus::adopt_fd);
    theirs = -1;
    return fd;
  }
};

// Runs `side` (our end of the stream) on a thread while the Operation is followed;
// the daemon's error wins, since a stream cut by its failure says less.
template <typename Side>
void run_beside(sdbus::IConnection& connection, const std::string& op_path, StreamEnds& ends, Side side,
                const ProgressCallback& progress, std::chrono::milliseconds timeout, const std::string& what) {
  std::exception_ptr side_failure;
  std::thread thread([&] {
    try {
      side(ends.ours);
    } catch (...) {
      side_failure = std::current_exception();
    }
    shutdown(ends.ours, SHUT_RDWR);  // the daemon sees the end of the stream
  });
  try {
    detail::follow_operation(connection, op_path, progress, timeout, what);
  } catch (...) {
    shutdown(ends.ours, SHUT_RDWR);  // wakes our thread if it still waits on the daemon
    thread.join();
    throw;
  }
  thread.join();
  if (side_failure) std::rethrow_exception(side_failure);
}

std::map<std::string, sdbus::Variant> push_options(const WorkspacePushOptions& options, std::uint64_t size) {
  std::map<std::string, sdbus::Variant> out{{"size", sdbus::Variant(size)}};
  if (options.target) out.emplace("target", sdbus::Variant(*options.target));
  if (options.replace) out.emplace("replace", sdbus::Variant(true));
  return out;
}

}  // namespace

std::uint64_t Client::push_workspace(const std::string& ref, const std::string& dir,
                                     const WorkspacePushOptions& options, const ProgressCallback& progress,
                                     std::chrono::milliseconds timeout) {
  // Read the folder first: a folder we cannot read is the caller's error, before bangerd hears of it.
  const auto tree = detail::workspace_tree(dir, options.all);
  std::lock_guard lock(impl_->mutex);
  return translate([&] {
    StreamEnds ends;
    VmProxy vm(*impl_->connection, impl_->resolve(ref));
    const auto op_path = vm.PushWorkspace(ends.hand_over(), push_options(options, tree.bytes));
    run_beside(
        *impl_->connection, op_path, ends, [&tree](int fd) { detail::write_workspace(fd, tree); }, progress,
        timeout, "the workspace to be pushed");
    return tree.bytes;
  });
}

void Client::pull_workspace(const std::string& ref, const std::string& dir, const WorkspacePullOptions& options,
                            const ProgressCallback& progress, std::chrono::milliseconds timeout) {
  if (dir.empty()) throw Error(ErrorCode::usage, {}, "empty folder name");
  std::lock_guard lock(impl_->mutex);
  translate([&] {
    StreamEnds ends;
    VmProxy vm(*impl_->connection, impl_->resolve(ref));
    std::map<std::string, sdbus::Variant> opts;
    if (options.source) opts.emplace("source", sdbus::Variant(*options.source));
    const auto op_path = vm.PullWorkspace(ends.hand_over(), opts);
    run_beside(
        *impl_->connection, op_path, ends, [&dir](int fd) { detail::extract_workspace(fd, dir); }, progress, timeout,
        "the workspace to be pulled");
  });
}

}  // namespace banger::client
