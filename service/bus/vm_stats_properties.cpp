#include "bus/vm_stats_properties.h"

#include "bus/event_loop.h"
#include "bus/object_registry.h"
#include "bus/vm_object.h"

namespace banger {

void VmStatsProperties::vm_stats_changed(const std::string& vm_id, const stats::VmStats& stats) {
  loop_.post([&registry = registry_, vm_id, stats] {
    if (auto* vm = registry.find_vm(vm_id)) vm->update_stats(stats);
  });
}

}  // namespace banger
