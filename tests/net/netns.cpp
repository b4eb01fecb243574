#include "netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace banger::net::testing {

namespace {

std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run: " + command);
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  if (::pclose(pipe) != 0) throw std::runtime_error(command + " failed: " + out);
  return out;
}

ino_t netns_inode(const char* path) {
  struct stat st{};
  if (::stat(path, &st) != 0) throw std::runtime_error(std::string("cannot stat ") + path);
  return st.st_ino;
}

}  // namespace

std::optional<std::string> netns_unavailable() {
  if (::geteuid() != 0) return "needs root (network namespaces, taps)";
  if (::access("/dev/net/tun", R_OK | W_OK) != 0) return "/dev/net/tun is missing";
  if (std::system("ip -V >/dev/null 2>&1") != 0) return "iproute2's ip is missing";
  return std::nullopt;
}

ScopedNetns::ScopedNetns(std::string name) : name_(std::move(name)) {
  auto host = netns_inode("/proc/thread-self/ns/net");
  run("ip netns add " + name_);
  original_ = UniqueFd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  UniqueFd target(::open(("/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC));
  if (!original_.valid() || !target.valid() || ::setns(target.get(), CLONE_NEWNET) != 0 ||
      netns_inode("/proc/thread-self/ns/net") == host) {
    std::system(("ip netns del " + name_).c_str());
    throw std::runtime_error("cannot enter network namespace " + name_);
  }
}

ScopedNetns::~ScopedNetns() {
  if (original_.valid()) ::setns(original_.get(), CLONE_NEWNET);
  std::system(("ip netns del " + name_ + " >/dev/null 2>&1").c_str());
}

std::string ip_in(const std::string& netns, const std::string& args) { return run("ip -n " + netns + " " + args); }

}  // namespace banger::net::testing
