#include <cstdlib>

#include "daemon.h"
#include "fault_capability.h"
#include "test_backend.h"
#include "vmm/firecracker/firecracker_backend.h"
#include "vmm/qemu/qemu_backend.h"

// bangerd as the bus tests run it: the real daemon and its backends, plus the
// stand-in backend and the fault-injection capability.
int main(int argc, char** argv) {
  banger::DaemonExtensions extensions;
  extensions.backends["test"] = [](const banger::Config&) { return std::make_unique<banger::testing::TestBackend>(); };
  extensions.backends["firecracker"] = banger::make_firecracker_backend;
  extensions.backends["qemu"] = banger::make_qemu_backend;
  extensions.capabilities.push_back(
      [](const banger::Config&) { return std::make_shared<banger::testing::FaultCapability>(); });
  // A reboot, simulated: the bus tests write a new "boot id" here before restarting the daemon.
  if (const char* boot_id = std::getenv("BANGER_TEST_BOOT_ID_FILE"); boot_id != nullptr && *boot_id != '\0')
    extensions.boot_id_file = boot_id;
  return banger::run_daemon(argc, argv, std::move(extensions));
}
