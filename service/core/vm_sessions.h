#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace banger {

// The banger sessions with each VM that bangerd itself sees, for the idle
// detector (core/idle_suspend.h): a workspace transfer is held open while it
// runs; OpenConsole only counts as begun (the client keeps the socket, bangerd
// does not learn when it closes). bangerctl ssh and exec talk to the guest
// directly: their keepalives are the tap's traffic. Thread-safe.
class VmSessions {
 public:
  struct Counts {
    std::uint64_t open = 0;
    std::uint64_t begun = 0;  // ever, since bangerd started
  };
  // Ends when the last copy of the pointer goes.
  using Held = std::shared_ptr<void>;

  Held hold(const std::string& vm_id);
  void begun(const std::string& vm_id);
  Counts counts(const std::string& vm_id) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Counts> by_vm_;
};

}  // namespace banger
