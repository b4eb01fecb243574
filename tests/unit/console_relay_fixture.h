#pragma once
// A runtime dir with one VM's directory, the real banger-console-relay
// ($BANGER_CONSOLE_RELAY) and a fake VMM: a shell on the relay's pty slave
// that greets, answers each line with "guest-got:<line>" and exits on "quit".
#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "console/relay_protocol.h"
#include "core/atomic_file.h"
#include "core/console_log.h"
#include "core/unique_fd.h"
#include "vmm/process.h"

namespace banger::test {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

inline constexpr const char* fake_vmm_script =
    "echo guest-hello; "
    "while read -r line; do "
    "  [ \"$line\" = quit ] && { echo guest-bye; exit 0; }; "
    "  echo \"guest-got:$line\"; "
    "done";

inline std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Polls `read` until its text holds `needle` (or 10 s pass); returns the last text.
template <typename Read>
std::string wait_for_text(Read read, const std::string& needle) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  std::string text = read();
  while (text.find(needle) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
    text = read();
  }
  return text;
}

// Reads what arrives on a client socket until `needle` is in it (or 10 s pass).
inline std::string read_until(int fd, const std::string& needle) {
  std::string got;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (got.find(needle) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) != 1) continue;
    char buffer[4096];
    ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    got.append(buffer, static_cast<std::size_t>(n));
  }
  return got;
}

inline void send_text(int fd, const std::string& text) {
  ASSERT_EQ(send(fd, text.data(), text.size(), MSG_NOSIGNAL), static_cast<ssize_t>(text.size()));
}

class RelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* relay = std::getenv("BANGER_CONSOLE_RELAY");
    if (relay == nullptr) GTEST_SKIP() << "BANGER_CONSOLE_RELAY is not set";
    relay_binary = relay;
    std::string pattern = (fs::temp_directory_path() / "banger-relay-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    runtime = pattern;
    dir = runtime / "vms" / "0123456789abcdef";
    fs::create_directories(dir);
  }
  void TearDown() override {
    for (auto* p : {&vmm, &relay})
      if (p->pid > 0) terminate(*p, 1s);
    reap_spawned_children([](pid_t, const siginfo_t&) {});
    if (!runtime.empty()) fs::remove_all(runtime);
  }

  // The relay, ready (its console.tty written).
  void start_relay() {
    relay = spawn_detached({relay_binary.string(), "--dir", dir.string()}, dir / "relay.log");
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!fs::exists(dir / console_tty_name) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(5ms);
    ASSERT_TRUE(fs::exists(dir / console_tty_name)) << read_text(dir / "relay.log");
  }
  std::string tty() {
    std::string path = read_text(dir / console_tty_name);
    while (!path.empty() && path.back() == '\n') path.pop_back();
    return path;
  }
  // The fake VMM on the pty, recorded in the handles file as bangerd records VMMs.
  void start_vmm() {
    vmm = spawn_detached_on_tty({"/bin/sh", "-c", fake_vmm_script}, tty(), dir / "vmm.err");
    write_file_atomically(dir / "handles.json",
                          nlohmann::json{{"pid", vmm.pid}, {"start_time", vmm.start_time}}.dump());
  }
  std::string log() { return read_text(console_log_path(dir)); }
  UniqueFd attach() { return connect_console_relay(dir / console_socket_name); }

  fs::path relay_binary, runtime, dir;
  ProcessId relay, vmm;
};

}  // namespace banger::test
