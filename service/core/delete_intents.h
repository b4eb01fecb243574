#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace banger {

// Deletes under way, one empty file per VM id in `dir`: Delete records the
// intent before it cleans up anything and drops it once the VM's row is gone,
// so a bangerd killed in between finishes the delete at its next start instead
// of leaving a row whose disks are already gone.
class DeleteIntents {
 public:
  explicit DeleteIntents(std::filesystem::path dir);

  void record(const std::string& vm_id);  // durable on return; throws Error(backend_failed)
  void clear(const std::string& vm_id) noexcept;
  std::vector<std::string> recorded() const;

 private:
  std::filesystem::path dir_;
};

}  // namespace banger
