#include "netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <stdexcept>

namespace banger::test {

namespace {

ino_t netns_inode(const char* path) {
  struct stat st{};
  if (::stat(path, &st) != 0) throw std::runtime_error(std::string("cannot stat ") + path);
  return st.st_ino;
}

}  // namespace

CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> chunk{};
  while (std::size_t n = std::fread(chunk.data(), 1, chunk.size(), pipe)) result.out.append(chunk.data(), n);
  const int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::optional<std::string> netns_unavailable(const NetnsNeeds& needs) {
  if (::geteuid() != 0) return "needs root (network namespaces)";
  std::vector<std::string> programs{"ip"};
  programs.insert(programs.end(), needs.programs.begin(), needs.programs.end());
  for (const auto& program : programs) {
    if (run_command("command -v " + program + " >/dev/null").status != 0) return program + " is not installed";
  }
  for (const auto& device : needs.devices) {
    if (::access(device.c_str(), R_OK | W_OK) != 0) return device + " is missing";
  }
  return std::nullopt;
}

ScopedNetns::ScopedNetns(bool enter) {
  static int counter = 0;
  name_ = "banger-t-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  const auto host = netns_inode("/proc/thread-self/ns/net");
  if (const auto added = run_command("ip netns add " + name_ + " 2>&1"); added.status != 0) {
    throw std::runtime_error("cannot create network namespace " + name_ + ": " + added.out);
  }
  // A new namespace copies init_net's ip_forward (net.core.devconf_inherit_init_net
  // = 0), so on a host that forwards (Docker, or bangerd's own NAT) it would start
  // at 1: tests count on a namespace that starts the way a fresh host does.
  if (const auto off = exec("sh -c 'echo 0 > /proc/sys/net/ipv4/ip_forward' 2>&1"); off.status != 0) {
    run_command("ip netns del " + name_ + " 2>&1");
    throw std::runtime_error("cannot turn IPv4 forwarding off in " + name_ + ": " + off.out);
  }
  if (!enter) return;
  original_ = UniqueFd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  UniqueFd target(::open(("/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC));
  if (!original_.valid() || !target.valid() || ::setns(target.get(), CLONE_NEWNET) != 0 ||
      netns_inode("/proc/thread-self/ns/net") == host) {
    run_command("ip netns del " + name_ + " 2>&1");
    throw std::runtime_error("cannot enter network namespace " + name_);
  }
}

ScopedNetns::~ScopedNetns() {
  if (original_.valid()) ::setns(original_.get(), CLONE_NEWNET);
  // Deleting a namespace ends no process in it: what a test's daemon left
  // running there (dnsmasq, a VMM) goes first.
  run_command("ip netns pids " + name_ + " 2>/dev/null | grep -vx " + std::to_string(::getpid()) +
              " | xargs -r kill -9 2>&1");
  run_command("ip netns del " + name_ + " 2>&1");
}

CommandResult ScopedNetns::exec(const std::string& command) const {
  return run_command("ip netns exec " + name_ + " " + command);
}

CommandResult ScopedNetns::exec_outside(const std::string& command) const {
  if (!original_.valid()) return run_command(command);
  return run_command("nsenter --net=/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(original_.get()) +
                     " " + command);
}

std::string ScopedNetns::ip(const std::string& args) const {
  const auto result = run_command("ip -n " + name_ + " " + args + " 2>&1");
  if (result.status != 0) throw std::runtime_error("ip -n " + name_ + " " + args + " failed: " + result.out);
  return result.out;
}

}  // namespace banger::test
