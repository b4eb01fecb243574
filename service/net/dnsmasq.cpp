#include "net/dnsmasq.h"

#include <signal.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/errors.h"
#include "core/log.h"

namespace banger::net {

namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

pid_t pid_in(const fs::path& pid_file) {
  std::istringstream text(read_text(pid_file));
  pid_t pid = 0;
  return text >> pid && pid > 0 ? pid : 0;
}

struct Running {
  ProcessId process;
  std::vector<std::string> command;
};

// The process the pid file names, when it is still dnsmasq of this pid file.
std::optional<Running> running_of(const DnsmasqFiles& files) {
  const pid_t pid = pid_in(files.pid);
  if (pid == 0) return std::nullopt;
  const auto start = process_start_time(pid);
  auto command = process_cmdline(pid);
  const ProcessId process{pid, start.value_or(0)};
  if (!start || !is_running(process)) return std::nullopt;
  if (std::find(command.begin(), command.end(), "--pid-file=" + files.pid.string()) == command.end())
    return std::nullopt;
  return Running{process, std::move(command)};
}

// dnsmasq says why it did not start in its last line ("dnsmasq: failed to
// create listening socket for 10.0.0.1: Cannot assign requested address").
std::string last_line(const std::string& text) {
  const auto end = text.find_last_not_of("\n ");
  if (end == std::string::npos) return "it said nothing";
  const auto newline = text.rfind('\n', end);
  const auto from = newline == std::string::npos ? 0 : newline + 1;
  return text.substr(from, end + 1 - from);
}

// dnsmasq reads the hosts file again after it dropped root for nobody.
constexpr auto world_readable = fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read;

// dnsmasq logs "read <hosts file> - N names" each time it has loaded the
// file (at start and on SIGHUP): whether it did after the log's first `offset` bytes.
bool loaded_since(const DnsmasqFiles& files, std::streamoff offset) {
  std::ifstream in(files.log);
  in.seekg(offset);
  std::stringstream text;
  text << in.rdbuf();
  return text.str().find("read " + files.hosts.string() + " - ") != std::string::npos;
}

std::streamoff log_size(const DnsmasqFiles& files) {
  std::error_code ec;
  const auto size = fs::file_size(files.log, ec);
  return ec ? 0 : static_cast<std::streamoff>(size);
}

// The pauses between looks: short at first, since dnsmasq answers a SIGHUP in
// well under a millisecond, doubling up to 0.5 ms for one slowed by a busy
// host (longer pauses overshoot its answer by as much: with up to 5 ms, a
// reload answered at 1.6 ms was seen at 3.2). A fixed 5 ms first pause made
// every confirmed reload, so every VM's DNS entry, cost 5 ms (issue 18). A look
// is a small read (~20 us); one that never answers is looked at 2,000 times a
// second until the timeout. (An inotify watch instead costs more: closing it
// waits out an SRCU grace period, 5-20 ms here.)
constexpr std::chrono::microseconds first_pause{50};
constexpr std::chrono::microseconds longest_pause{500};

// Waits until `ready` or the process is gone (false) or the deadline is past (false).
bool wait_for(const ProcessId& process, std::chrono::milliseconds timeout, const std::function<bool()>& ready) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = first_pause;
  while (!ready()) {
    if (!is_running(process) || std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, longest_pause);
  }
  return true;
}

void make_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!ec) fs::permissions(dir, world_readable | fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec, ec);
  if (ec) throw Error(ErrorKind::backend_failed, fmt::format("cannot create {}: {}", dir.string(), ec.message()));
}

ProcessId start(const std::vector<std::string>& command, const DnsmasqFiles& files,
                std::chrono::milliseconds timeout) {
  std::error_code ec;
  fs::remove(files.pid, ec);
  fs::remove(files.log, ec);  // a log of this run only
  const auto process = spawn_detached(command, files.log);
  // Serving once its socket is bound (the pid file comes after) and the names are loaded.
  if (wait_for(process, timeout, [&] { return pid_in(files.pid) == process.pid && loaded_since(files, 0); }))
    return process;
  const bool died = !is_running(process);
  if (!died) terminate(process, std::chrono::seconds(1));
  const std::string said = last_line(read_text(files.log));
  throw Error(ErrorKind::backend_failed, died ? fmt::format("dnsmasq did not start: {}", said)
                                              : fmt::format("dnsmasq did not get ready within {} ms: {}", timeout.count(), said));
}

}  // namespace

void write_hosts_file(const DnsmasqFiles& files, const std::string& text) {
  make_dir(files.hosts.parent_path());
  // Readable by all: dnsmasq re-reads it as nobody. Derived: every serve writes
  // it again from the store, so a crash needs no fsync of it (issue 18).
  write_file_atomically(files.hosts, text, 0644, FileDurability::derived);
}

ProcessId ensure_dnsmasq(const std::vector<std::string>& command, const DnsmasqFiles& files,
                         std::chrono::milliseconds timeout) {
  make_dir(files.pid.parent_path());
  if (auto running = running_of(files)) {
    if (running->command == command) return running->process;
    log::info("replacing dnsmasq {} ({}): its command line is not the current one", running->process.pid,
              files.pid.string());
    terminate(running->process, std::chrono::seconds(2));
  }
  return start(command, files, timeout);
}

bool reload_dnsmasq(const ProcessId& process, const DnsmasqFiles& files, std::chrono::milliseconds timeout) {
  const auto before = log_size(files);
  if (!is_running(process) || ::kill(process.pid, SIGHUP) != 0) return false;
  if (wait_for(process, timeout, [&] { return loaded_since(files, before); })) return true;
  log::warn("dnsmasq {} did not confirm re-reading {} within {} ms", process.pid, files.hosts.string(), timeout.count());
  return false;
}

void stop_dnsmasq(const DnsmasqFiles& files) noexcept {
  try {
    if (auto running = running_of(files)) terminate(running->process, std::chrono::seconds(2));
  } catch (const std::exception& e) {
    log::warn("cannot stop dnsmasq of {}: {}", files.pid.string(), e.what());
  }
  for (const auto& file : {files.hosts, files.pid, files.log}) {
    std::error_code ec;
    fs::remove(file, ec);
    if (ec) log::warn("cannot remove {}: {}", file.string(), ec.message());
  }
}

}  // namespace banger::net
