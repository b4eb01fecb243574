#include "daemon/idle_signals.h"

#include "net/taps.h"
#include "stats/process_counters.h"
#include "stats/tap_counters.h"

namespace banger {

std::optional<IdleSample> HostIdleSignals::sample(const VmRecord& vm) {
  const auto process = storage_.vmm_process(vm.id);
  if (!process) return std::nullopt;
  const auto counters = stats::read_process_counters("/proc", process->pid);
  if (!counters) return std::nullopt;
  IdleSample s;
  s.cpu = counters->cpu;
  if (!vm.network.empty())
    if (const auto traffic = stats::read_guest_traffic("/sys", net::tap_name_for(vm.id)))
      s.tap_bytes = traffic->rx_bytes + traffic->tx_bytes;
  const auto sessions = sessions_.counts(vm.id);
  s.sessions_open = sessions.open;
  s.sessions_begun = sessions.begun;
  return s;
}

}  // namespace banger
