#pragma once
#include <filesystem>
#include <vector>

#include "net/port_forward_ruleset.h"

namespace banger {

// Owns banger's forward table (port_forward_ruleset.h) in the network
// namespace of the calling thread. Errors: Error(invalid_args) for bad rules
// (nothing applied), Error(backend_failed) when the kernel refuses.
class PortForwardTable {
 public:
  // proc_sys: where the per-interface route_localnet switches are (tests
  // point elsewhere).
  explicit PortForwardTable(std::filesystem::path proc_sys = "/proc/sys/net/ipv4/conf")
      : proc_sys_(std::move(proc_sys)) {}

  // Atomically replaces the table with `rules`, then turns route_localnet on
  // for their bridges (127.0.0.1 forwards need it; the table's guard keeps
  // loopback addresses off the wire, so it must be in place first). Never
  // turned off again: the guard stays with the table. Callers serialise; the
  // last batch wins.
  void apply(const std::vector<ForwardRule>& rules);
  // Deletes the table; no error when it is absent.
  void remove();

 private:
  std::filesystem::path proc_sys_;
  // What apply last wrote and how the kernel then listed the table. Every VM
  // start and stop applies the rules again, mostly unchanged (a VM without
  // forwards); writing the table whole deletes it, and any deletion waits out
  // an RCU grace period (~12 ms a start here: issue 18). The same rules over a
  // table still listed as written are left as they are; a table changed or
  // deleted behind banger's back is written whole, as before.
  std::string written_script_;
  std::string written_listing_;
};

}  // namespace banger
