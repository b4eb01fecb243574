#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace banger {

// A new VM id: 32 lowercase hex digits from the kernel's CSPRNG.
std::string new_vm_id();
// A new image id, of the same form.
inline std::string new_image_id() { return new_vm_id(); }
// Whether `id` can name a file of its own: 1–64 letters, digits, '-' or '_'
// (every id banger makes, and no "..", "/" or empty name).
bool is_file_safe_id(std::string_view id);

// Microseconds since the epoch (CLOCK_REALTIME), the unit of CreatedAt/UpdatedAt.
std::uint64_t now_us();

}  // namespace banger
