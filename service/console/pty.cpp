#include "console/pty.h"

#include <fcntl.h>
#include <stdlib.h>
#include <termios.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/errors.h"

namespace banger {

namespace {

[[noreturn]] void fail(const char* what) {
  throw Error(ErrorKind::backend_failed, fmt::format("pty: {}: {}", what, strerror(errno)));
}

}  // namespace

Pty open_raw_pty() {
  Pty pty;
  pty.master = UniqueFd(posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
  if (!pty.master.valid()) fail("posix_openpt");
  if (grantpt(pty.master.get()) != 0) fail("grantpt");
  if (unlockpt(pty.master.get()) != 0) fail("unlockpt");
  char name[128];
  if (ptsname_r(pty.master.get(), name, sizeof name) != 0) fail("ptsname");
  pty.slave_path = name;
  pty.slave = UniqueFd(open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!pty.slave.valid()) fail("open slave");
  termios raw{};
  if (tcgetattr(pty.slave.get(), &raw) != 0) fail("tcgetattr");
  cfmakeraw(&raw);
  if (tcsetattr(pty.slave.get(), TCSANOW, &raw) != 0) fail("tcsetattr");
  return pty;
}

}  // namespace banger
