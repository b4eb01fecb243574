#include "core/vm_lookup.h"

#include "core/ref_lookup.h"

namespace banger {

const VmRecord& resolve_ref(std::span<const VmRecord> vms, std::string_view ref) {
  return resolve_record_ref(vms, ref, "VM", ErrorKind::no_such_vm);
}

}  // namespace banger
