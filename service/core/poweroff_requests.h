#pragma once
#include <sys/types.h>

#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/vm.h"

namespace banger {

// `machinectl poweroff VM` (issue 16) as banger's graceful stop. machined
// powers a machine off by sending SIGRTMIN+4 to its leader, the VMM, whose
// default action for it is to die: the VM would end as a crash. So VMMs start
// with that signal blocked (vmm/process.h), where it stays pending; each poll
// looks for it at every running VM's VMM and asks for the VM's graceful stop,
// once per run. The signal dies with the VMM.
class PoweroffRequests {
 public:
  struct Deps {
    std::function<std::vector<VmRecord>()> list;
    std::function<std::optional<pid_t>(const std::string& vm_id)> vmm_pid;
    std::function<bool(pid_t)> poweroff_pending;
    std::function<void(const VmRecord&)> stop;  // must not wait for the stop (a worker does it)
  };
  explicit PoweroffRequests(Deps deps) : deps_(std::move(deps)) {}

  void poll();

 private:
  Deps deps_;
  std::mutex mutex_;
  std::set<std::string> asked_;  // VMs whose stop was asked for and that still run
};

}  // namespace banger
