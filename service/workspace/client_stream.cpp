#include "workspace/client_stream.h"

#include <limits.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/errors.h"

namespace banger::workspace {

namespace {

// Waits for `events` on fd; Error(invalid_args) after `idle` without them.
void wait_ready(int fd, short events, std::chrono::milliseconds idle, const char* what) {
  pollfd p{fd, events, 0};
  const auto deadline = std::chrono::steady_clock::now() + idle;
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    const int n = poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
    if (n > 0) return;  // ready, or hung up / in error: the read or write says which
    if ((n < 0 && errno == EINTR) || (n == 0 && std::chrono::steady_clock::now() < deadline)) continue;
    if (n < 0) throw Error(ErrorKind::backend_failed, fmt::format("poll on the archive stream: {}", strerror(errno)));
    throw Error(ErrorKind::invalid_args,
                fmt::format("the archive stream {} for {} s; the transfer is given up",
                            what, std::chrono::duration_cast<std::chrono::seconds>(idle).count()));
  }
}

}  // namespace

ByteSource idle_limited_source(int fd, std::chrono::milliseconds idle) {
  return [fd, idle](std::span<char> buffer) -> std::size_t {
    for (;;) {
      wait_ready(fd, POLLIN, idle, "sent nothing");
      const ssize_t n = read(fd, buffer.data(), buffer.size());
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno == EINTR || errno == EAGAIN) continue;
      throw Error(ErrorKind::invalid_args, fmt::format("reading the archive stream: {}", strerror(errno)));
    }
  };
}

ByteSink idle_limited_sink(int fd, std::chrono::milliseconds idle) {
  return [fd, idle](std::span<const char> data) {
    while (!data.empty()) {
      wait_ready(fd, POLLOUT, idle, "took nothing");
      // POLLOUT on a pipe promises room for PIPE_BUF bytes; more could block.
      const ssize_t n = write(fd, data.data(), std::min<std::size_t>(data.size(), PIPE_BUF));
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n < 0) throw Error(ErrorKind::invalid_args, fmt::format("writing the archive stream: {}", strerror(errno)));
      data = data.subspan(static_cast<std::size_t>(n));
    }
  };
}

}  // namespace banger::workspace
