#include "net/port_reservation.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/errors.h"

namespace banger {

UniqueFd reserve_host_port(const std::string& protocol, std::uint16_t port) {
  const int type = protocol == "udp" ? SOCK_DGRAM : SOCK_STREAM;
  UniqueFd fd(socket(AF_INET, type | SOCK_CLOEXEC, 0));
  if (!fd.valid()) throw Error(ErrorKind::backend_failed, fmt::format("socket: {}", std::strerror(errno)));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    if (errno == EADDRINUSE)
      throw Error(ErrorKind::busy, fmt::format("host port {}/{} is in use on the host", port, protocol));
    throw Error(ErrorKind::backend_failed,
                fmt::format("cannot reserve host port {}/{}: {}", port, protocol, std::strerror(errno)));
  }
  return fd;
}

}  // namespace banger
