#pragma once
#include <span>
#include <string_view>

#include "core/vm.h"

namespace banger {

// Resolves what a user typed to one VM: an exact id, else an exact name, else a
// unique prefix over one pool of ids and names. Throws Error(no_such_vm) or
// Error(ambiguous) naming the candidates, Error(invalid_args) for an empty ref.
const VmRecord& resolve_ref(std::span<const VmRecord> vms, std::string_view ref);

}  // namespace banger
