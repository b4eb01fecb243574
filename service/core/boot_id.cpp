#include "core/boot_id.h"

#include <fstream>

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/errors.h"

namespace banger {

namespace {

std::string first_line(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line;
  if (in) std::getline(in, line);
  return line;
}

}  // namespace

std::string read_boot_id(const std::filesystem::path& source) {
  std::string id = first_line(source);
  if (id.empty()) throw Error(ErrorKind::internal, fmt::format("cannot read the boot id from {}", source.string()));
  return id;
}

bool note_boot(const std::filesystem::path& record, const std::string& current) {
  const bool seen = first_line(record) == current;
  if (!seen) write_file_atomically(record, current + "\n", 0644);
  return !seen;
}

}  // namespace banger
