// fake-firecracker: a stand-in for the Firecracker VMM for tests. It takes
// Firecracker's command line (--api-sock PATH --id ID), serves the subset of
// the API banger uses on that socket as firecracker-api.yaml specifies (204 on
// success, 400 with {"fault_message"} on bad input, Firecracker's pre-boot and
// ordering rules), records every request, and simulates a guest: Running after
// InstanceStart, exits 0 shortly after SendCtrlAltDel (guest shut down). Its
// guest writes memory pages at boot and on each resume, which PUT
// /snapshot/create saves (a state file and a full-size memory file, Full or
// Diff) and PUT /snapshot/load checks and restores (fake_firecracker_api.cpp).
//   FAKE_FC_RECORD  file for the JSON-lines record (default <socket>.requests.jsonl)
//   FAKE_FC_FAIL    "<METHOD> <path>": answer that request 400 with a fault_message
//   FAKE_FC_HANG    "<path>": never answer requests to that path
//   FAKE_FC_SHUTDOWN_MS  how long the simulated guest takes to power off after
//                   SendCtrlAltDel (default 100)
//   FAKE_FC_CHROOT  set by the fake jailer: the chroot that request paths are inside
// Its stdout stands for the guest's serial console (Firecracker's stdout is):
// after InstanceStart it prints "banger: guest ready", as banger's images do.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fake_firecracker_api.h"

namespace {

std::string g_socket;

void on_sigterm(int) {
  unlink(g_socket.c_str());  // async-signal-safe, like _exit
  _exit(0);
}

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// One HTTP/1.1 request: request line, headers, Content-Length body.
struct HttpRequest {
  std::string method, path, body;
};

bool read_request(int fd, HttpRequest& request) {
  std::string data;
  char buf[4096];
  size_t header_end;
  while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return false;  // e.g. the backend's connect-only readiness probe
    data.append(buf, static_cast<size_t>(n));
  }
  std::string head = data.substr(0, header_end);
  size_t sp1 = head.find(' '), sp2 = head.find(' ', sp1 + 1);
  if (sp1 == std::string::npos || sp2 == std::string::npos) return false;
  request.method = head.substr(0, sp1);
  request.path = head.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t length = 0;
  for (size_t pos = head.find("\r\n"); pos != std::string::npos; pos = head.find("\r\n", pos + 2)) {
    std::string line = head.substr(pos + 2, head.find("\r\n", pos + 2) - pos - 2);
    for (auto& ch : line) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (line.rfind("content-length:", 0) == 0) length = std::strtoul(line.c_str() + 15, nullptr, 10);
  }
  request.body = data.substr(header_end + 4);
  while (request.body.size() < length) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return false;
    request.body.append(buf, static_cast<size_t>(n));
  }
  return true;
}

void write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

void respond(int fd, const fakefc::Reply& reply) {
  const char* reason = reply.status == 200 ? "OK" : reply.status == 204 ? "No Content" : "Bad Request";
  std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " " + reason + "\r\n";
  if (!reply.body.empty()) out += "Content-Type: application/json\r\n";
  out += "Content-Length: " + std::to_string(reply.body.size()) + "\r\nConnection: close\r\n\r\n" + reply.body;
  write_all(fd, out);
}

void record(const std::string& file, const HttpRequest& request) {
  nlohmann::json body = nullptr;
  if (!request.body.empty()) body = nlohmann::json::parse(request.body, nullptr, false);
  if (body.is_discarded()) body = request.body;  // keep malformed bodies verbatim
  std::ofstream(file, std::ios::app) << nlohmann::json{{"method", request.method}, {"path", request.path},
                                                       {"body", body}}.dump()
                                     << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::string id = "anonymous-instance";
  // As the real one answers it (bangerctl doctor's firecracker-version line).
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("Firecracker v1.17.0-fake\n");  // the version its API reports too
    return 0;
  }
  for (int i = 1; i + 1 < argc; ++i) {  // unknown flags are ignored
    if (std::strcmp(argv[i], "--api-sock") == 0) g_socket = argv[++i];
    else if (std::strcmp(argv[i], "--id") == 0) id = argv[++i];
  }
  if (g_socket.empty()) {
    std::fprintf(stderr, "fake-firecracker: --api-sock is required\n");
    return 2;
  }
  signal(SIGTERM, on_sigterm);
  signal(SIGPIPE, SIG_IGN);  // a client that hung up must not kill the VMM
  const std::string record_file = env("FAKE_FC_RECORD").empty() ? g_socket + ".requests.jsonl" : env("FAKE_FC_RECORD");
  const std::string fail = env("FAKE_FC_FAIL"), hang = env("FAKE_FC_HANG");

  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (g_socket.size() >= sizeof addr.sun_path) return 2;
  g_socket.copy(addr.sun_path, sizeof addr.sun_path - 1);
  int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listener, 16) != 0) {
    std::perror("fake-firecracker: cannot serve the API socket");
    return 1;
  }
  std::printf("fake-firecracker %s: API on %s\n", id.c_str(), g_socket.c_str());
  std::fflush(stdout);

  fakefc::Vmm vmm(id, env("FAKE_FC_CHROOT"));
  std::vector<int> hung;  // connections never answered (FAKE_FC_HANG)
  using Clock = std::chrono::steady_clock;
  std::optional<Clock::time_point> shutdown_at;
  const auto shutdown_delay = std::chrono::milliseconds(
      env("FAKE_FC_SHUTDOWN_MS").empty() ? 100 : std::stoi(env("FAKE_FC_SHUTDOWN_MS")));
  for (;;) {
    int wait_ms = 20;
    if (shutdown_at)
      wait_ms = std::clamp<int>(
          std::chrono::ceil<std::chrono::milliseconds>(*shutdown_at - Clock::now()).count(), 0, 20);
    pollfd pfd{listener, POLLIN, 0};
    if (poll(&pfd, 1, wait_ms) > 0) {
      int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      HttpRequest request;
      if (!read_request(fd, request)) {
        close(fd);
        continue;
      }
      record(record_file, request);
      if (!hang.empty() && request.path == hang) {
        hung.push_back(fd);
        continue;
      }
      fakefc::Reply reply = fail == request.method + " " + request.path
                                ? fakefc::fault("Injected failure (FAKE_FC_FAIL) for " + fail)
                                : vmm.handle(request.method, request.path, request.body);
      respond(fd, reply);
      close(fd);
      if (reply.status == 204 && request.path == "/actions" &&
          request.body.find("InstanceStart") != std::string::npos) {
        std::printf("fake-firecracker %s: guest console: banger: guest ready\n", id.c_str());
        std::fflush(stdout);
      }
      if (vmm.shutdown_requested() && !shutdown_at) shutdown_at = Clock::now() + shutdown_delay;
    }
    if (shutdown_at && Clock::now() >= *shutdown_at) {
      // Firecracker's own last words on a clean exit, in its logger's file once configured.
      std::printf("fake-firecracker %s: guest shut down (SendCtrlAltDel)\n", id.c_str());
      std::fflush(stdout);
      const char* last_words = "Firecracker exiting successfully. exit_code=0\n";
      if (!vmm.log_path().empty())
        std::ofstream(vmm.log_path(), std::ios::app) << last_words;
      else
        std::fputs(last_words, stderr);
      unlink(g_socket.c_str());
      return 0;
    }
  }
}
