#pragma once
// What must hold after bangerd was killed at any moment and started again
// (tests/crash/): the store is sound and every VM row is settled and matches
// the host, and nothing on the host belongs to a VM or network the store does
// not know. Reusable by any suite that runs the real bangerd in a network
// namespace of its own (tests/bus/bangerd_netns.h).
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "netns.h"

namespace banger::test {

struct CrashSite {
  std::filesystem::path state_dir;    // bangerd --state-dir (banger.db, vms/<id>/)
  std::filesystem::path runtime_dir;  // bangerd --runtime-dir (vms/<id>/, dns/)
  std::string vmm_binary;             // the VMM's path, to find its processes in /proc
  const ScopedNetns* netns = nullptr;  // where bangerd's taps, bridges and nftables live
};

struct StoredVm {
  std::string id, name, state;
};

struct InvariantReport {
  int checks = 0;                       // individual facts compared
  std::vector<std::string> violations;  // empty: all held
  std::map<std::string, StoredVm> vms;  // by id, as the store has them
  std::map<std::string, pid_t> vmm_pids;  // running VMs' VMMs, by VM id
  std::string describe() const;
};

// Reads the store read-only (sqlite3 CLI) and the host; bangerd may be running,
// but no operation may be under way.
InvariantReport check_invariants(const CrashSite& site);

}  // namespace banger::test
