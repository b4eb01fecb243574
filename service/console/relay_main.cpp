// banger-console-relay --dir <runtime>/vms/<id>: one VM's serial console
// relay (see console/relay.h), started by bangerd's console-relay capability
// before the VMM, in a session of its own so that it outlives bangerd.
#include <fcntl.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <CLI/CLI.hpp>

#include "console/pty.h"
#include "console/relay.h"
#include "console/relay_protocol.h"
#include "core/atomic_file.h"
#include "core/console_log.h"
#include "core/errors.h"
#include "store/handles_files.h"

namespace fs = std::filesystem;
using namespace banger;

namespace {

UniqueFd listen_on(const fs::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.native().size() >= sizeof addr.sun_path)
    throw Error(ErrorKind::backend_failed, "socket path too long: " + path.string());
  path.native().copy(addr.sun_path, sizeof addr.sun_path - 1);
  std::error_code ignored;
  fs::remove(path, ignored);  // left by a relay of an earlier run
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  // Only bangerd (root) connects; it hands the connection to the authorized caller.
  const mode_t old = umask(0077);
  const bool bound = fd.valid() && bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  umask(old);
  if (!bound || listen(fd.get(), 4) != 0)
    throw Error(ErrorKind::backend_failed, "cannot listen on " + path.string() + ": " + strerror(errno));
  return fd;
}

UniqueFd stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, s);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  return UniqueFd(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"banger-console-relay: a VM's serial console behind a pty (started by bangerd)"};
  fs::path dir;
  app.add_option("--dir", dir, "the VM's runtime directory")->required();
  CLI11_PARSE(app, argc, argv);

  signal(SIGPIPE, SIG_IGN);
  try {
    RelayIo io;
    io.stop = stop_signals();
    Pty pty = open_raw_pty();
    io.master = std::move(pty.master);
    io.log = UniqueFd(open(console_log_path(dir).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
    if (!io.log.valid()) throw Error(ErrorKind::backend_failed, "cannot open the console log: " + std::string(strerror(errno)));
    const fs::path socket = dir / console_socket_name;
    io.listener = listen_on(socket);
    // Last: its presence tells bangerd the relay is ready.
    write_file_atomically(dir / console_tty_name, pty.slave_path + "\n", 0600);
    // The VMM it serves is the one bangerd records for this VM.
    const auto handles = HandlesFiles(dir.parent_path().parent_path()).file(dir.filename().string());
    ConsoleRelay(std::move(io), handles).run();
    std::error_code ignored;
    fs::remove(socket, ignored);
    fs::remove(dir / console_tty_name, ignored);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "banger-console-relay: %s\n", e.what());
    return 1;
  }
}
