#include "nat_netns.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/wait.h>

namespace banger::test {

CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> chunk{};
  std::size_t n = 0;
  while ((n = fread(chunk.data(), 1, chunk.size(), pipe)) > 0) result.out.append(chunk.data(), n);
  const int status = pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string netns_tests_unavailable(const std::vector<std::string>& programs) {
  if (geteuid() != 0) return "needs root (network namespaces, nftables)";
  std::vector<std::string> needed{"ip", "nft"};
  needed.insert(needed.end(), programs.begin(), programs.end());
  for (const auto& program : needed) {
    if (run_command("command -v " + program + " >/dev/null").status != 0) return program + " is not installed";
  }
  return "";
}

ScopedNetns::ScopedNetns(bool enter) {
  static int counter = 0;
  name_ = "banger-nft-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
  if (run_command("ip netns add " + name_ + " 2>&1").status != 0) {
    why_ = "cannot create network namespace " + name_ + " (ip netns add failed)";
    return;
  }
  created_ = true;
  if (!enter) {
    ready_ = true;
    return;
  }
  original_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  const int target = open(("/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
  if (original_ < 0 || target < 0 || setns(target, CLONE_NEWNET) != 0) {
    why_ = "cannot enter network namespace " + name_ + ": " + std::strerror(errno);
  } else {
    ready_ = true;
  }
  if (target >= 0) close(target);
}

ScopedNetns::~ScopedNetns() {
  if (original_ >= 0 && ready_) setns(original_, CLONE_NEWNET);
  if (original_ >= 0) close(original_);
  if (created_) run_command("ip netns del " + name_ + " 2>&1");
}

CommandResult ScopedNetns::exec(const std::string& command) const {
  return run_command("ip netns exec " + name_ + " " + command);
}

CommandResult ScopedNetns::exec_outside(const std::string& command) const {
  return run_command("nsenter --net=/proc/" + std::to_string(getpid()) + "/fd/" + std::to_string(original_) + " " +
                     command);
}

}  // namespace banger::test
