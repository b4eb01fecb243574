#include "core/start_up_recovery.h"

#include "core/image_manager.h"
#include "core/vm_manager.h"

namespace banger {

bool vmm_may_run(VmState state) {
  return holds_vmm_resources(state) || state == VmState::starting || state == VmState::stopping;
}

StartUpRecovered recover_at_start_up(VmManager& vms, ImageManager& images,
                                     const std::vector<std::shared_ptr<RecoveryPart>>& parts) {
  vms.recover();
  for (const auto& part : parts) part->sweep({vms.list(), vms.recorded_vmms()});
  for (const auto& part : parts) part->follow(vms.list());
  images.recover();
  return {};
}

}  // namespace banger
