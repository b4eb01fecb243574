// The runtime records read back after a restart, whatever a crash or a hand
// left there: handles files (<runtime>/vms/<id>/handles.json) with the VMM
// process they name, and the root disk's devices (<runtime>/vms/<id>/disk.json).
#include <string>

#include "store/handles_files.h"
#include "disks/root_disk_devices.h"
#include "fuzz_support.h"

using namespace banger;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(fuzz::as_text(data, size));
  if (auto process = vmm_process_of(text); process && process->pid <= 0) __builtin_trap();
  if (auto handles = handles_in_file(text)) vmm_process_of(*handles);
  disks::parse_root_disk_devices(text);
  return 0;
}
