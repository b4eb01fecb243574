// Firecracker's API answers: error bodies and GET / (InstanceInfo).
#include <string>

#include "fuzz_support.h"
#include "vmm/firecracker/api_answers.h"

using namespace banger;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = fuzz::as_text(data, size);
  // Neither throws at all: they run inside the VMM's error paths.
  // The fault message ends up in a D-Bus error reply.
  const std::string fault = firecracker_fault_message(body);
  if (fault.empty() || !fuzz::is_utf8(fault)) __builtin_trap();
  firecracker_reports_paused(body);
  return 0;
}
