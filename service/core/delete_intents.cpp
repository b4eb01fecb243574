#include "core/delete_intents.h"

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/errors.h"
#include "core/log.h"

namespace banger {

namespace fs = std::filesystem;

DeleteIntents::DeleteIntents(fs::path dir) : dir_(std::move(dir)) {}

void DeleteIntents::record(const std::string& vm_id) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw Error(ErrorKind::backend_failed, fmt::format("cannot make {}: {}", dir_.string(), ec.message()));
  write_file_atomically(dir_ / vm_id, "");
}

void DeleteIntents::clear(const std::string& vm_id) noexcept {
  std::error_code ec;
  fs::remove(dir_ / vm_id, ec);
  if (ec) log::warn("cannot remove the delete intent {}: {}", (dir_ / vm_id).string(), ec.message());
}

std::vector<std::string> DeleteIntents::recorded() const {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const auto name = entry.path().filename().string();
    if (name.find('.') == std::string::npos) ids.push_back(name);  // not a half-written .tmp
  }
  return ids;
}

}  // namespace banger
