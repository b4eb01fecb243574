#include "core/vm_sessions.h"

namespace banger {

VmSessions::Held VmSessions::hold(const std::string& vm_id) {
  {
    std::lock_guard guard(mutex_);
    auto& c = by_vm_[vm_id];
    ++c.open;
    ++c.begun;
  }
  return Held(this, [vm_id](VmSessions* self) {
    std::lock_guard guard(self->mutex_);
    --self->by_vm_[vm_id].open;
  });
}

void VmSessions::begun(const std::string& vm_id) {
  std::lock_guard guard(mutex_);
  ++by_vm_[vm_id].begun;
}

VmSessions::Counts VmSessions::counts(const std::string& vm_id) const {
  std::lock_guard guard(mutex_);
  auto found = by_vm_.find(vm_id);
  return found == by_vm_.end() ? Counts{} : found->second;
}

}  // namespace banger
