#pragma once
#include <cstdint>
#include <string>

namespace banger {

// A new VM id: 32 lowercase hex digits from the kernel's CSPRNG.
std::string new_vm_id();
// A new image id, of the same form.
inline std::string new_image_id() { return new_vm_id(); }

// Microseconds since the epoch (CLOCK_REALTIME), the unit of CreatedAt/UpdatedAt.
std::uint64_t now_us();

}  // namespace banger
