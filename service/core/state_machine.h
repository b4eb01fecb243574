#pragma once
#include <string_view>

#include "core/vm.h"

namespace banger {

// The lifecycle verbs that depend on a VM's state.
enum class Verb { start, stop, force_stop, restart, kill, remove, set_hardware, rename, touch, clone, pause, resume, suspend,
                  snapshot, restore_snapshot };

std::string_view to_string(Verb verb);

// Throws Error(busy) while the VM is still being created and Error(invalid_state)
// when `verb` is not allowed from `state`; the message names the VM.
void require_allowed(Verb verb, VmState state, std::string_view vm_name);

// Whether the daemon ever moves a VM from `from` to `to` (asserted by every
// state write in VmManager, so a bug shows up as an error, not a strange state).
bool is_valid_transition(VmState from, VmState to);

}  // namespace banger
