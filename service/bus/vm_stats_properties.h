#pragma once
#include <string>

#include "core/vm_stats.h"

namespace banger {

class EventLoop;
class ObjectRegistry;

// Carries the stats poller's figures over to the VM objects on the bus
// thread, which signal the properties that changed (VmObject::update_stats).
class VmStatsProperties final : public stats::VmStatsObserver {
 public:
  VmStatsProperties(EventLoop& loop, ObjectRegistry& registry) : loop_(loop), registry_(registry) {}
  void vm_stats_changed(const std::string& vm_id, const stats::VmStats& stats) override;

 private:
  EventLoop& loop_;
  ObjectRegistry& registry_;
};

}  // namespace banger
