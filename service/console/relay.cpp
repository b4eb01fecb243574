#include "console/relay.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <fstream>
#include <sstream>

#include "console/relay_protocol.h"
#include "store/handles_files.h"
#include "vmm/process.h"

namespace banger {

namespace {

constexpr std::size_t chunk_size = 16 * 1024;
// A client that reads slower than the guest writes misses output beyond this
// (the log still has it); the guest is never held up by a client.
constexpr std::size_t client_backlog = 256 * 1024;
// Client input the guest has not read yet; beyond it the client is not read.
constexpr std::size_t guest_backlog = 64 * 1024;
// How often the handles file is looked at until it names the VMM (it is
// written moments after the relay starts).
constexpr int vmm_lookup_ms = 100;

void write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a full disk loses console output, never the relay
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

}  // namespace

ConsoleRelay::ConsoleRelay(RelayIo io, std::filesystem::path handles_file)
    : io_(std::move(io)), handles_file_(std::move(handles_file)) {}

void ConsoleRelay::run() {
  enum { stop, master, listener, vmm, client, count };
  while (!vmm_gone_) {
    if (!vmm_.valid()) look_for_vmm();
    if (vmm_gone_) break;
    std::array<pollfd, count> fds{};
    fds[stop] = {io_.stop.get(), POLLIN, 0};
    fds[master] = {io_.master.get(), static_cast<short>(POLLIN | (to_guest_.empty() ? 0 : POLLOUT)), 0};
    fds[listener] = {io_.listener.get(), POLLIN, 0};
    fds[vmm] = {vmm_.valid() ? vmm_.get() : -1, POLLIN, 0};
    short client_events = static_cast<short>((to_guest_.size() < guest_backlog ? POLLIN : 0) |
                                             (to_client_.empty() ? 0 : POLLOUT));
    fds[client] = {client_.valid() ? client_.get() : -1, client_events, 0};
    if (poll(fds.data(), fds.size(), vmm_.valid() ? -1 : vmm_lookup_ms) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[stop].revents != 0 || fds[vmm].revents != 0) break;
    if (fds[master].revents & (POLLIN | POLLHUP | POLLERR)) read_guest();
    if (fds[master].revents & POLLOUT) write_guest();
    if (fds[listener].revents & POLLIN) accept_client();
    if (client_.valid() && (fds[client].revents & (POLLIN | POLLHUP | POLLERR))) read_client();
    if (client_.valid() && (fds[client].revents & POLLOUT)) flush_client();
  }
  drain();
}

void ConsoleRelay::look_for_vmm() {
  std::ifstream in(handles_file_);
  if (!in) return;
  std::stringstream text;
  text << in.rdbuf();
  auto process = vmm_process_of(text.str());
  if (!process) return;
  vmm_ = UniqueFd(static_cast<int>(syscall(SYS_pidfd_open, process->pid, 0)));
  // Opened before comparing start times, so the pid cannot be reused in between.
  if (!vmm_.valid() || process_start_time(process->pid) != process->start_time) vmm_gone_ = true;
}

void ConsoleRelay::to_log_and_client(const char* data, std::size_t size) {
  write_all(io_.log.get(), data, size);
  if (!client_.valid()) return;
  if (to_client_.size() + size <= client_backlog) to_client_.append(data, size);
  flush_client();
}

void ConsoleRelay::read_guest() {
  char buffer[chunk_size];
  // A few reads at most, so a chatty guest cannot starve the client's input.
  for (int i = 0; i < 4; ++i) {
    ssize_t n = read(io_.master.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    to_log_and_client(buffer, static_cast<std::size_t>(n));
  }
}

void ConsoleRelay::write_guest() {
  while (!to_guest_.empty()) {
    ssize_t n = write(io_.master.get(), to_guest_.data(), to_guest_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the guest's input queue is full: wait for POLLOUT
    to_guest_.erase(0, static_cast<std::size_t>(n));
  }
}

bool ConsoleRelay::client_gone() const {
  pollfd check{client_.get(), POLLRDHUP, 0};
  return poll(&check, 1, 0) == 1 && (check.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

void ConsoleRelay::accept_client() {
  UniqueFd fd(accept4(io_.listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
  if (!fd.valid()) return;
  // A client that has just gone (its hangup not handled yet) must not make its successor Busy.
  if (client_.valid() && client_gone()) {
    read_client();  // its last input still reaches the guest
    drop_client();
  }
  const char answer = client_.valid() ? relay_busy : relay_accepted;
  if (send(fd.get(), &answer, 1, MSG_NOSIGNAL) != 1 || answer == relay_busy) return;
  client_ = std::move(fd);
}

void ConsoleRelay::read_client() {
  char buffer[chunk_size];
  while (client_.valid() && to_guest_.size() < guest_backlog) {
    ssize_t n = read(client_.get(), buffer, std::min(sizeof buffer, guest_backlog - to_guest_.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n <= 0) {
      drop_client();
      break;
    }
    to_guest_.append(buffer, static_cast<std::size_t>(n));
  }
  write_guest();
}

void ConsoleRelay::flush_client() {
  while (client_.valid() && !to_client_.empty()) {
    ssize_t n = send(client_.get(), to_client_.data(), to_client_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      drop_client();
      return;
    }
    to_client_.erase(0, static_cast<std::size_t>(n));
  }
}

void ConsoleRelay::drop_client() {
  client_.reset();
  to_client_.clear();
}

void ConsoleRelay::drain() {
  // What the guest wrote last (its shutdown messages) is the post-mortem: keep it.
  char buffer[chunk_size];
  for (std::size_t total = 0; total < 16 * 1024 * 1024;) {
    ssize_t n = read(io_.master.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    to_log_and_client(buffer, static_cast<std::size_t>(n));
    total += static_cast<std::size_t>(n);
  }
  if (client_.valid()) {
    // The client's last output, without waiting long for a slow reader.
    int flags = fcntl(client_.get(), F_GETFL);
    fcntl(client_.get(), F_SETFL, flags & ~O_NONBLOCK);
    timeval timeout{1, 0};
    setsockopt(client_.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    write_all(client_.get(), to_client_.data(), to_client_.size());
  }
}

}  // namespace banger
