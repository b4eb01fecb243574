#pragma once
// A stand-in for a guest's SSH server on 127.0.0.1: a thread accepting on a
// port of its own and answering each connection as told. Until listen_after
// has passed the port is bound but not listening, so connections are
// refused, as they are while a guest boots.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/unique_fd.h"

namespace banger::testing {

// A TCP port on 127.0.0.1 that is bound and never listened on: every
// connection to it is refused, and no other test can take it meanwhile.
class RefusingPort {
 public:
  RefusingPort() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0)
      throw std::runtime_error("cannot bind a port on 127.0.0.1");
    port_ = ntohs(address.sin_port);
  }
  std::uint16_t port() const { return port_; }
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
  std::uint16_t port_ = 0;
};

class FakeSshServer {
 public:
  enum class Answer {
    greeting,  // send `greeting`, then keep the connection open
    silence,   // keep the connection open, say nothing
    hang_up,   // close the connection at once
  };

  explicit FakeSshServer(Answer answer, std::string greeting = "SSH-2.0-fake\r\n",
                         std::chrono::milliseconds listen_after = std::chrono::milliseconds(0))
      : answer_(answer),
        greeting_(std::move(greeting)),
        stop_(::eventfd(0, EFD_CLOEXEC)),
        started_(std::chrono::steady_clock::now()),
        listen_after_(listen_after) {
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeSshServer() {
    std::uint64_t one = 1;
    (void)!::write(stop_.get(), &one, sizeof one);
    thread_.join();
  }

  std::uint16_t port() const { return port_.port(); }
  // When the port began to listen.
  std::chrono::steady_clock::time_point listening_since() const { return started_ + listen_after_; }

 private:
  void serve() {
    pollfd stop{stop_.get(), POLLIN, 0};
    if (::poll(&stop, 1, static_cast<int>(listen_after_.count())) != 0) return;
    ::listen(port_.fd(), 16);
    std::vector<UniqueFd> open;
    for (;;) {
      pollfd fds[2] = {{stop_.get(), POLLIN, 0}, {port_.fd(), POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0 || fds[0].revents) return;
      UniqueFd connection(::accept4(port_.fd(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!connection.valid() || answer_ == Answer::hang_up) continue;
      if (answer_ == Answer::greeting) (void)!::send(connection.get(), greeting_.data(), greeting_.size(), MSG_NOSIGNAL);
      open.push_back(std::move(connection));
    }
  }

  Answer answer_;
  std::string greeting_;
  RefusingPort port_;
  UniqueFd stop_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::milliseconds listen_after_;
  std::thread thread_;
};

}  // namespace banger::testing
