#include "core/vm_lookup.h"

#include <vector>

#include <fmt/format.h>

#include "core/errors.h"

namespace banger {

const VmRecord& resolve_ref(std::span<const VmRecord> vms, std::string_view ref) {
  if (ref.empty()) throw Error(ErrorKind::invalid_args, "empty VM reference");
  for (const auto& vm : vms)
    if (vm.id == ref) return vm;
  for (const auto& vm : vms)
    if (vm.name == ref) return vm;

  std::vector<const VmRecord*> matches;
  for (const auto& vm : vms)
    if (vm.id.starts_with(ref) || vm.name.starts_with(ref)) matches.push_back(&vm);
  if (matches.size() == 1) return *matches.front();
  if (matches.empty()) throw Error(ErrorKind::no_such_vm, fmt::format("no VM matches '{}'", ref));

  std::string candidates;
  for (const auto* vm : matches) {
    if (!candidates.empty()) candidates += ", ";
    candidates += fmt::format("{} ({})", vm->name, vm->id.substr(0, 12));
  }
  throw Error(ErrorKind::ambiguous, fmt::format("'{}' matches {} VMs: {}", ref, matches.size(), candidates));
}

}  // namespace banger
