#pragma once
#include <sys/types.h>

#include <filesystem>
#include <string>

namespace banger {

// What a power loss may do to the file. `durable`: the old file or the whole
// new one survives. `derived`: a file rebuilt from the store whenever it is
// needed (a dnsmasq hosts file in the runtime dir) only never reads as half of
// one; it skips the two fsyncs, which cost milliseconds on a busy disk (issue 18).
enum class FileDurability { durable, derived };

// Writes <file>.tmp, fsyncs it and renames it over `file` (then fsyncs the
// directory; no fsync for `derived`): a reader sees the old file or the whole
// new one, never a part. Throws Error(backend_failed).
void write_file_atomically(const std::filesystem::path& file, const std::string& content, mode_t mode = 0600,
                           FileDurability durability = FileDurability::durable);

}  // namespace banger
