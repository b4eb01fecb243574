#pragma once
// A network namespace of the test's (or bench's) own, so that nothing ever
// touches the host's interfaces: `ip netns add`, then the calling thread
// setns()es into it; the destructor moves the thread back and deletes it.
#include <optional>
#include <string>

#include "core/unique_fd.h"

namespace banger::net::testing {

// Why namespaced link tests cannot run here (not root, no /dev/net/tun, no
// `ip`), or nullopt when they can.
std::optional<std::string> netns_unavailable();

class ScopedNetns {
 public:
  // Throws std::runtime_error when the namespace cannot be made or entered,
  // before anything could act on the host's namespace.
  explicit ScopedNetns(std::string name);
  ~ScopedNetns();
  ScopedNetns(const ScopedNetns&) = delete;
  ScopedNetns& operator=(const ScopedNetns&) = delete;

  const std::string& name() const { return name_; }

 private:
  std::string name_;
  UniqueFd original_;
};

// Runs `ip -n <netns> <args>` and returns its stdout; throws when it fails.
std::string ip_in(const std::string& netns, const std::string& args);

}  // namespace banger::net::testing
