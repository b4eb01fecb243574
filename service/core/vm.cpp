#include "core/vm.h"

#include <array>
#include <utility>

namespace banger {

namespace {
constexpr std::array<std::pair<VmState, std::string_view>, 9> state_names{{
    {VmState::creating, "creating"},
    {VmState::created, "created"},
    {VmState::starting, "starting"},
    {VmState::running, "running"},
    {VmState::stopping, "stopping"},
    {VmState::stopped, "stopped"},
    {VmState::failed, "failed"},
    {VmState::paused, "paused"},
    {VmState::suspended, "suspended"},
}};
}  // namespace

bool holds_vmm_resources(VmState state) { return state == VmState::running || state == VmState::paused; }

std::string_view to_string(VmState state) {
  for (const auto& [s, name] : state_names)
    if (s == state) return name;
  return "failed";
}

std::optional<VmState> parse_vm_state(std::string_view text) {
  for (const auto& [s, name] : state_names)
    if (name == text) return s;
  return std::nullopt;
}

}  // namespace banger
