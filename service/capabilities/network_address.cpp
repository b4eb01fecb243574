#include "capabilities/network_address.h"
#include "core/fault_points.h"

#include "core/log.h"

namespace banger {

void NetworkAddress::check_create(const VmRecord& vm) {
  if (!vm.network.empty()) networks_.get(vm.network);
}

void NetworkAddress::provision(VmRecord& vm, ProgressSink& progress) {
  if (vm.network.empty()) return;
  progress.report("leasing an address", 0.2);
  networks_.lease(vm.network, vm.id);
  BANGER_FAULT_POINT("create.address-leased");
}

void NetworkAddress::cleanup(const VmRecord& vm, CleanupReason reason) noexcept {
  // A stopped VM keeps its address; only a VM that goes away gives it back.
  if (reason != CleanupReason::deleted && reason != CleanupReason::create_failed) return;
  try {
    networks_.release(vm.id);
  } catch (const std::exception& e) {
    log::warn("VM '{}': could not release its address: {}", vm.name, e.what());
  }
}

}  // namespace banger
