#pragma once
// Idle sleep (issue 19): a running VM with IdleSuspendSeconds > 0 that has been
// idle that long is suspended, as VM.Suspend would. Idle means, between every
// two looks: no banger session open or begun (workspace transfers, consoles),
// no byte through its tap, and its VMM under a CPU threshold.
//
// The threshold ([vm] idle_cpu_percent, default 2): 2 % of one CPU. An idle Linux guest costs its VMM well under
// 1 % under KVM (timer ticks, the odd RCU or journald wakeup); anything that
// does work (a build, a server answering, a shell typing) costs several percent
// at least. 2 % sits between the two with room for both, and a guest that
// hovers near it is rather busy than idle: such a VM stays up, which is the
// safe side (a suspended VM that was doing work loses nothing either, but the
// owner would be surprised). Measured per look, over the time since the last.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/vm.h"

namespace banger {

// What the detector reads of one running VM; counters are cumulative (since
// its VMM started), so that any activity between two looks shows.
struct IdleSample {
  std::chrono::nanoseconds cpu{0};  // the VMM's CPU time
  std::uint64_t tap_bytes = 0;      // both directions through its tap; 0 without one
  std::uint64_t sessions_open = 0;  // banger sessions open now
  std::uint64_t sessions_begun = 0; // ever begun: a short one between two looks counts too
};

// Where the samples come from: the host's counters in bangerd
// (daemon/idle_signals.h), a mock in the tests.
class IdleSignals {
 public:
  virtual ~IdleSignals() = default;
  // nullopt when the VM's counters cannot be read (its VMM not found yet): not idle.
  virtual std::optional<IdleSample> sample(const VmRecord& vm) = 0;
};

class IdleSuspender {
 public:
  static constexpr double default_cpu_threshold_percent = 2.0;

  struct Deps {
    std::function<std::vector<VmRecord>()> list;  // every VM
    IdleSignals& signals;
    // Suspends the VM, showing `note` as its LastError; throws when it cannot.
    std::function<void(const VmRecord& vm, const std::string& note)> suspend;
  };
  explicit IdleSuspender(Deps deps, double cpu_threshold_percent = default_cpu_threshold_percent);

  // One look at every VM (run by a PeriodicTask, so never two at once); never throws.
  void tick(std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

 private:
  struct Watch {
    IdleSample last;
    std::chrono::steady_clock::time_point last_at;
    std::chrono::steady_clock::time_point idle_since;
  };
  bool active_between(const Watch& w, const IdleSample& now_sample,
                      std::chrono::steady_clock::time_point now) const;
  void look_at(const VmRecord& vm, std::chrono::steady_clock::time_point now);

  Deps deps_;
  double cpu_threshold_percent_;
  std::map<std::string, Watch> watches_;  // running VMs with idle sleep on, by id
};

}  // namespace banger
