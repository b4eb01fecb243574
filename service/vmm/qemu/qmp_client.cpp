#include "vmm/qemu/qmp_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
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
  return send_and_wait(command, arguments, -1);
}

nlohmann::json QmpClient::execute_passing_fd(const std::string& command, const nlohmann::json& arguments, int fd) {
  if (fd < 0) fail(fmt::format("{}: no descriptor to pass", command));
  return send_and_wait(command, arguments, fd);
}

nlohmann::json QmpClient::send_and_wait(const std::string& command, const nlohmann::json& arguments, int fd) {
  nlohmann::json request{{"execute", command}};
  if (!arguments.is_null()) request["arguments"] = arguments;
  std::string text = request.dump() + "\n";
  iovec data{text.data(), text.size()};
  msghdr message{};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  // QEMU keeps the descriptors that arrive with a command's bytes for that
  // command: the whole line goes in one sendmsg (a Unix stream socket sends it
  // whole or fails; the line is far below the socket buffer).
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))]{};
  if (fd >= 0) {
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(header), &fd, sizeof(int));
  }
  ssize_t sent;
  do {
    sent = sendmsg(fd_, &message, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent != static_cast<ssize_t>(text.size()))
    fail(fmt::format("{}: send failed: {}", command, sent < 0 ? std::strerror(errno) : "short write"));
  for (;;) {
    // Anything but an answer is an asynchronous event (SHUTDOWN, STOP …): skipped.
    if (auto answer = qmp_return_of(read_message(), command)) return *answer;
  }
}

std::string QmpClient::status() { return qmp_status_of(execute("query-status")); }

}  // namespace banger
