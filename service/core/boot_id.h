#pragma once
#include <filesystem>
#include <string>

namespace banger {

// The kernel makes a new random boot id at every boot (a container manager such
// as systemd-nspawn gives each container boot its own over this file).
inline constexpr const char* kernel_boot_id_file = "/proc/sys/kernel/random/boot_id";

// The boot id in `source`, without the trailing newline. Throws Error(internal)
// when it cannot be read or is empty: then no one can tell whether the host booted.
std::string read_boot_id(const std::filesystem::path& source);

// Whether `current` is a boot bangerd has not seen: `record` (in the state dir)
// holds the id of the boot of bangerd's previous start, or does not exist yet.
// Records `current` there (atomically) either way, so the answer is true once per boot.
bool note_boot(const std::filesystem::path& record, const std::string& current);

}  // namespace banger
