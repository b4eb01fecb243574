#pragma once
#include <string>
#include <vector>

#include "core/authorized_key_events.h"

namespace banger {

class EventLoop;
class ObjectRegistry;

// Carries key changes from the workers to the VM objects' AuthorizedKeys
// property on the bus thread.
class VmKeysProperties final : public AuthorizedKeyEvents {
 public:
  VmKeysProperties(EventLoop& loop, ObjectRegistry& registry) : loop_(loop), registry_(registry) {}
  void authorized_keys_changed(const std::string& vm_id, std::vector<AuthorizedKeyInfo> keys) override;
  // On the bus thread, before the name is taken: every VM's keys at start-up.
  void show(const std::string& vm_id, std::vector<AuthorizedKeyInfo> keys);

 private:
  EventLoop& loop_;
  ObjectRegistry& registry_;
};

}  // namespace banger
