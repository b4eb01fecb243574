#pragma once
// A network namespace of the test's (or bench's) own, so that nothing ever
// touches the host's interfaces, nftables ruleset or ip_forward (all per
// namespace): `ip netns add`, then, when asked, the calling thread setns()es
// into it; the destructor moves the thread back and deletes it.
#include <optional>
#include <string>
#include <vector>

#include "core/unique_fd.h"

namespace banger::test {

struct CommandResult {
  int status = -1;
  std::string out;
};

// Runs a /bin/sh command line and returns its exit status and stdout.
CommandResult run_command(const std::string& command);

// What a namespaced test needs besides root and iproute2's ip.
struct NetnsNeeds {
  std::vector<std::string> programs = {};  // e.g. "nft", "python3"
  std::vector<std::string> devices = {};   // e.g. "/dev/net/tun", opened read-write
};

// Why namespaced tests cannot run here, or nullopt when they can.
std::optional<std::string> netns_unavailable(const NetnsNeeds& needs = {});

class ScopedNetns {
 public:
  // Makes banger-t-<pid>-<n> with IPv4 forwarding off, whatever the host's,
  // and, when `enter`, moves the calling thread into it. Throws std::runtime_error when that fails, before anything could act
  // on the thread's original namespace.
  explicit ScopedNetns(bool enter = true);
  ~ScopedNetns();
  ScopedNetns(const ScopedNetns&) = delete;
  ScopedNetns& operator=(const ScopedNetns&) = delete;

  const std::string& name() const { return name_; }

  // Runs `command` in this namespace with `ip netns exec`.
  CommandResult exec(const std::string& command) const;
  // Runs `command` in the namespace the thread came from (with nsenter when
  // the thread is in this one).
  CommandResult exec_outside(const std::string& command) const;
  // Runs `ip -n <name> <args>` and returns its output; throws when it fails.
  std::string ip(const std::string& args) const;

 private:
  std::string name_;
  UniqueFd original_;
};

}  // namespace banger::test
