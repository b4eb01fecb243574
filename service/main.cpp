#include "daemon.h"
#include "vmm/firecracker/firecracker_backend.h"
#include "vmm/qemu/qemu_backend.h"

// The VMM backends this build offers; [vmm] backend in the config picks the default.
int main(int argc, char** argv) {
  banger::DaemonExtensions extensions;
  extensions.backends["firecracker"] = [](const banger::Config& c) {
    return std::make_unique<banger::FirecrackerBackend>(c.firecracker);
  };
  extensions.backends["qemu"] = [](const banger::Config& c) { return std::make_unique<banger::QemuBackend>(c.qemu); };
  return banger::run_daemon(argc, argv, std::move(extensions));
}
