#pragma once
#include <sys/types.h>

#include <filesystem>
#include <string>

namespace banger {

// Writes <file>.tmp, fsyncs it and renames it over `file` (then fsyncs the
// directory): a crash leaves the old file or the whole new one, never a part.
// Throws Error(backend_failed).
void write_file_atomically(const std::filesystem::path& file, const std::string& content, mode_t mode = 0600);

}  // namespace banger
