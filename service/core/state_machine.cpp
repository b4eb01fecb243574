#include "core/state_machine.h"

#include <fmt/format.h>

#include "core/errors.h"

namespace banger {

std::string_view to_string(Verb verb) {
  switch (verb) {
    case Verb::start: return "start";
    case Verb::stop: return "stop";
    case Verb::force_stop: return "stop --force";
    case Verb::restart: return "restart";
    case Verb::kill: return "kill";
    case Verb::remove: return "delete";
    case Verb::set_hardware: return "change vcpus or memory of";
    case Verb::rename: return "rename";
    case Verb::touch: return "touch";
    case Verb::clone: return "clone";
    case Verb::pause: return "pause";
    case Verb::resume: return "resume";
    case Verb::suspend: return "suspend";
    case Verb::snapshot: return "take a checkpoint of";
    case Verb::restore_snapshot: return "restore a checkpoint of";
  }
  return "?";
}

namespace {

bool is_down(VmState s) {
  return s == VmState::created || s == VmState::stopped || s == VmState::failed;
}

bool allowed(Verb verb, VmState s) {
  switch (verb) {
    // A suspended VM starts from its saved state.
    case Verb::start: return is_down(s) || s == VmState::suspended;
    // A paused VM stops too: a graceful stop resumes it first, so the guest sees its power button.
    // A suspended one has no VMM: stopping it discards its saved state, as a power cut would.
    case Verb::stop: return holds_vmm_resources(s) || s == VmState::suspended;
    case Verb::force_stop:
    case Verb::kill:
      return holds_vmm_resources(s) || s == VmState::starting || s == VmState::stopping || s == VmState::suspended;
    case Verb::restart: return holds_vmm_resources(s);
    case Verb::pause: return s == VmState::running;
    case Verb::resume: return s == VmState::paused;
    case Verb::suspend: return holds_vmm_resources(s);
    // Its saved state goes with it.
    case Verb::remove: return is_down(s) || s == VmState::suspended;
    // A saved state loads only into the machine it was saved from.
    case Verb::set_hardware: return is_down(s);
    case Verb::rename:
    case Verb::touch: return true;
    // A failed VM's disks may be mid-change: only a VM that was shut down cleanly is copied.
    case Verb::clone: return s == VmState::created || s == VmState::stopped;
    // Disks only of a VM shut down cleanly; memory too of one whose VMM runs. A
    // suspended VM's disks belong to its saved state, a failed one's may be mid-change.
    case Verb::snapshot: return s == VmState::created || s == VmState::stopped || holds_vmm_resources(s);
    // A running or paused VM is killed first, a suspended one loses its saved state:
    // the user asked to go back. A failed one may hold a VMM no kill ended.
    case Verb::restore_snapshot:
      return s == VmState::created || s == VmState::stopped || holds_vmm_resources(s) || s == VmState::suspended;
  }
  return false;
}

}  // namespace

void require_allowed(Verb verb, VmState state, std::string_view vm_name) {
  if (state == VmState::creating && verb != Verb::touch)
    throw Error(ErrorKind::busy, fmt::format("VM '{}' is still being created", vm_name));
  if (allowed(verb, state)) return;
  std::string hint;
  if (verb == Verb::remove && holds_vmm_resources(state)) hint = "; stop it first";
  if (verb == Verb::set_hardware && state == VmState::suspended) hint = "; its saved state needs the same machine: stop it first";
  if (verb == Verb::snapshot && state == VmState::suspended) hint = "; start it first";
  if (verb == Verb::snapshot && state == VmState::failed) hint = "; its disks may be mid-change: start it first";
  if ((verb == Verb::stop || verb == Verb::restart) && state == VmState::starting) hint = "; use force to stop it";
  throw Error(ErrorKind::invalid_state,
              fmt::format("cannot {} VM '{}': it is {}{}", to_string(verb), vm_name, to_string(state), hint));
}

bool is_valid_transition(VmState from, VmState to) {
  using S = VmState;
  switch (from) {
    case S::creating: return to == S::created;
    // suspended: a memory checkpoint's Restore installs its state as the saved one.
    case S::created:
    case S::stopped: return to == S::starting || to == S::suspended;
    case S::failed: return to == S::starting;
    // suspended: a restore cut off by a bangerd restart goes back to its saved state (recover).
    case S::starting: return to == S::running || to == S::failed || to == S::stopped || to == S::suspended;
    case S::running:
      return to == S::stopping || to == S::stopped || to == S::failed || to == S::paused || to == S::suspended;
    // stopped or failed: its VMM ended on its own (vmm_exited) or was gone after a restart (recover).
    case S::paused:
      return to == S::running || to == S::stopping || to == S::stopped || to == S::failed || to == S::suspended;
    // starting: the restore; stopped: a Stop, Kill or a lost saved state discards it.
    case S::suspended: return to == S::starting || to == S::stopped;
    case S::stopping: return to == S::stopped || to == S::failed;
  }
  return false;
}

}  // namespace banger
