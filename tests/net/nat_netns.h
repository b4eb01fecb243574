#pragma once
// A network namespace of the test's own (nftables rulesets and ip_forward are
// per namespace), so NAT tests never touch the host's ruleset or interfaces.
#include <string>
#include <vector>

namespace banger::test {

struct CommandResult {
  int status = -1;
  std::string out;
};

// Runs a /bin/sh command line and returns its exit status and stdout.
CommandResult run_command(const std::string& command);

// Why namespace tests cannot run here ("" when they can): not root, or one
// of `programs` (besides ip and nft) is not installed.
std::string netns_tests_unavailable(const std::vector<std::string>& programs = {});

class ScopedNetns {
 public:
  // Makes banger-nft-<pid>-<n> with `ip netns add` and, when `enter`, moves
  // the calling thread into it. ready() is false, with why(), when that was
  // not possible.
  explicit ScopedNetns(bool enter = true);
  // Moves the thread back to its namespace and deletes this one.
  ~ScopedNetns();
  ScopedNetns(const ScopedNetns&) = delete;
  ScopedNetns& operator=(const ScopedNetns&) = delete;

  bool ready() const { return ready_; }
  const std::string& why() const { return why_; }
  const std::string& name() const { return name_; }

  // Runs `command` in this namespace with `ip netns exec`.
  CommandResult exec(const std::string& command) const;
  // Runs `command` in the namespace the thread came from, with nsenter.
  CommandResult exec_outside(const std::string& command) const;

 private:
  std::string name_;
  int original_ = -1;
  bool created_ = false;
  bool ready_ = false;
  std::string why_;
};

}  // namespace banger::test
