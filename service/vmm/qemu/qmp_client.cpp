#include "vmm/qemu/qmp_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "core/errors.h"
#include "vmm/qemu/qmp_messages.h"

namespace banger {

namespace {

[[noreturn]] void fail(const std::string& message) { throw Error(ErrorKind::backend_failed, "qmp: " + message); }

int connect_once(const std::filesystem::path& socket_path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string path = socket_path.string();
  if (path.size() >= sizeof address.sun_path) fail("socket path too long: " + path);
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail(fmt::format("socket: {}", std::strerror(errno)));
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) return fd;
  close(fd);
  return -1;
}

}  // namespace

QmpClient::QmpClient(const std::filesystem::path& socket, std::chrono::milliseconds connect_timeout,
                     std::chrono::milliseconds reply_timeout)
    : timeout_(reply_timeout) {
  auto deadline = std::chrono::steady_clock::now() + connect_timeout;
  while ((fd_ = connect_once(socket)) < 0) {
    if (std::chrono::steady_clock::now() >= deadline)
      fail(fmt::format("cannot connect to {}: {}", socket.string(), std::strerror(errno)));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // QEMU binds within milliseconds
  }
  try {
    if (!read_message().contains("QMP")) fail("no greeting from QEMU");
    execute("qmp_capabilities");
  } catch (...) {
    close(fd_);
    throw;
  }
}

QmpClient::~QmpClient() {
  if (fd_ >= 0) close(fd_);
}

nlohmann::json QmpClient::read_message() {
  auto deadline = std::chrono::steady_clock::now() + timeout_;
  for (;;) {
    if (auto message = take_qmp_message(buffer_)) return *message;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) fail(fmt::format("QEMU did not answer within {} ms ([qemu] qmp_timeout_ms)", timeout_.count()));
    pollfd p{fd_, POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;  // the deadline check above reports the timeout
    char chunk[4096];
    ssize_t got = recv(fd_, chunk, sizeof chunk, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) fail("QEMU closed the connection");
    buffer_.append(chunk, static_cast<std::size_t>(got));
  }
}

nlohmann::json QmpClient::execute(const std::string& command, const nlohmann::json& arguments) {
  nlohmann::json request{{"execute", command}};
  if (!arguments.is_null()) request["arguments"] = arguments;
  std::string text = request.dump() + "\n";
  if (send(fd_, text.data(), text.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(text.size()))
    fail(fmt::format("{}: send failed: {}", command, std::strerror(errno)));
  for (;;) {
    // Anything but an answer is an asynchronous event (SHUTDOWN, STOP …): skipped.
    if (auto answer = qmp_return_of(read_message(), command)) return *answer;
  }
}

std::string QmpClient::status() { return qmp_status_of(execute("query-status")); }

}  // namespace banger
