// The live stats' readers: /proc/<pid>/stat, the keyed counter files
// (/proc/<pid>/status and io, cgroup cpu.stat, memory.stat) and /proc/uptime
// against a process's start.
#include <fuzzer/FuzzedDataProvider.h>

#include <string>

#include "stats/counter_files.h"
#include "stats/process_counters.h"

using namespace banger;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const std::uint64_t start_ticks = in.ConsumeIntegral<std::uint64_t>();
  const std::string key = in.ConsumeRandomLengthString(16);
  const std::string text = in.ConsumeRemainingBytesAsString();

  stats::ProcessCounters counters;
  stats::parse_process_stat(text, counters);
  stats::keyed_number(text, key);
  stats::keyed_number(text, "VmRSS:");
  stats::leading_number(text);
  // read_boot_uptime's conversion of the uptime file, then the subtraction.
  try {
    stats::process_uptime_s(std::stod(text), start_ticks);
  } catch (const std::exception&) {
  }
  return 0;
}
