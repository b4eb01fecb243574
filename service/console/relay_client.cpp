#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "console/relay_protocol.h"
#include "core/errors.h"

namespace banger {

UniqueFd connect_console_relay(const std::filesystem::path& socket) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket.native().size() >= sizeof addr.sun_path)
    throw Error(ErrorKind::backend_failed, fmt::format("console socket path too long: {}", socket.string()));
  socket.native().copy(addr.sun_path, sizeof addr.sun_path - 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) throw Error(ErrorKind::backend_failed, fmt::format("socket: {}", strerror(errno)));
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw Error(ErrorKind::invalid_state,
                "the VM has no console relay (it was started without one; restart it to get an interactive console)");
  // The relay answers at once; a relay that does not is stuck, not busy.
  pollfd answer{fd.get(), POLLIN, 0};
  int ready;
  while ((ready = poll(&answer, 1, 5000)) < 0 && errno == EINTR) {
  }
  char byte = 0;
  if (ready != 1 || recv(fd.get(), &byte, 1, 0) != 1)
    throw Error(ErrorKind::backend_failed, "the console relay did not answer");
  if (byte == relay_busy) throw Error(ErrorKind::busy, "another client is attached to the VM's console");
  if (byte != relay_accepted) throw Error(ErrorKind::backend_failed, "the console relay answered nonsense");
  return fd;
}

}  // namespace banger
