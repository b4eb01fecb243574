#include "capabilities/ssh_banner.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/unique_fd.h"

namespace banger {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A connection the guest's kernel neither accepts nor refuses (its interface
// is not up yet, ARP goes unanswered) is dropped and tried again after this.
constexpr milliseconds connect_timeout{1000};
// dropbear -R makes its host keys at the first connection; under TCG that
// takes a while, but not this long.
constexpr milliseconds banner_timeout{10000};
constexpr milliseconds first_retry_delay{10};
constexpr milliseconds max_retry_delay{50};
// RFC 4253 lets a server send lines before its identification; not this many.
constexpr size_t max_pre_banner_bytes = 8192;

struct Endpoint {
  sockaddr_storage address{};
  socklen_t length = 0;
};

Endpoint endpoint_of(const std::string& address, std::uint16_t port) {
  Endpoint e;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&e.address);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&e.address);
  if (::inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    e.length = sizeof *v4;
  } else if (::inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    e.length = sizeof *v6;
  } else {
    throw Error(ErrorKind::invalid_args, fmt::format("'{}' is not an IP address", address));
  }
  return e;
}

// Waits for `events` on `fd` until `until`; false when the time ran out.
bool wait_for(int fd, short events, Clock::time_point until) {
  for (;;) {
    auto left = std::chrono::ceil<milliseconds>(until - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) return true;  // let the following call report the error
  }
}

// The identification line once a whole one has come ("SSH-…" without CR LF).
std::optional<std::string> banner_in(const std::string& received) {
  size_t start = 0;
  for (size_t end; (end = received.find('\n', start)) != std::string::npos; start = end + 1) {
    std::string line = received.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("SSH-", 0) == 0) return line;
  }
  return std::nullopt;
}

// One connection: true with the banner in `out`, else false with the reason.
bool attempt(const Endpoint& endpoint, Clock::time_point deadline, SshBannerWait& out) {
  UniqueFd fd(::socket(endpoint.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    out.last_failure = fmt::format("socket: {}", std::strerror(errno));
    return false;
  }
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&endpoint.address), endpoint.length) != 0) {
    if (errno != EINPROGRESS) {
      out.last_failure = fmt::format("connect: {}", std::strerror(errno));
      return false;
    }
    if (!wait_for(fd.get(), POLLOUT, std::min(deadline, Clock::now() + connect_timeout))) {
      out.last_failure = "connect: no answer";
      return false;
    }
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
    if (error != 0) {
      out.last_failure = fmt::format("connect: {}", std::strerror(error));
      return false;
    }
  }
  const auto banner_deadline = std::min(deadline, Clock::now() + banner_timeout);
  std::string received;
  for (;;) {
    if (!wait_for(fd.get(), POLLIN, banner_deadline)) {
      out.last_failure = "connected, but no SSH identification line came";
      return false;
    }
    char buffer[1024];
    ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      out.last_failure = n == 0 ? "connected, but the server closed the connection without an SSH identification line"
                                : fmt::format("connected, but reading failed: {}", std::strerror(errno));
      return false;
    }
    received.append(buffer, static_cast<size_t>(n));
    if (auto banner = banner_in(received)) {
      out.banner = *banner;
      return true;
    }
    if (received.size() > max_pre_banner_bytes) {
      out.last_failure = "connected, but the server sent no SSH identification line (not an SSH server?)";
      return false;
    }
  }
}

}  // namespace

SshBannerWait wait_for_ssh_banner(const std::string& address, std::uint16_t port, Clock::time_point deadline,
                                  const std::function<bool()>& give_up) {
  const Endpoint endpoint = endpoint_of(address, port);
  SshBannerWait result;
  milliseconds delay = first_retry_delay;
  do {
    if (give_up && give_up()) {
      result.given_up = true;
      return result;
    }
    const auto started = Clock::now();
    ++result.attempts;
    if (attempt(endpoint, deadline, result)) {
      result.answered = true;
      return result;
    }
    // Refusals come back at once: pace them. An attempt that timed out waited enough.
    std::this_thread::sleep_until(std::min(deadline, started + delay));
    delay = std::min(delay * 2, max_retry_delay);
  } while (Clock::now() < deadline);
  return result;
}

}  // namespace banger
