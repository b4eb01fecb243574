#pragma once
#include <chrono>
#include <map>
#include <string>

#include "bus/caller.h"
#include "core/log.h"

namespace banger {

// One record per mutating call (CreateVM, Start, Stop, Set, Clone, ImportImage …):
// what was asked, on what, by whom, how long it took and how it ended. Made
// when the call arrives, with the polkit details every method already builds
// ({"verb", "vm", "vm_id", "image", "network" …}); finished once with "ok" or
// the D-Bus error name.
class OperationLog {
 public:
  OperationLog(const Caller& caller, const std::map<std::string, std::string>& details);

  // The object a call made, known only once it exists (CreateVM's new VM's id).
  void set_target(const std::string& object_path);
  void finished(const std::string& result) const;

  // "vm.start", "image.set-default", "network.create" …
  std::string operation() const;
  log::Fields fields(const std::string& result, std::chrono::milliseconds duration) const;

 private:
  uid_t uid_;
  std::map<std::string, std::string> details_;
  std::chrono::steady_clock::time_point began_ = std::chrono::steady_clock::now();
};

}  // namespace banger
