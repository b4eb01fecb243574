#pragma once
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/vmm_backend.h"

namespace banger {

// Every VMM backend of this daemon by name, and the one a VM gets when its
// creator names none. Each VM keeps the name of its backend for its lifetime.
class VmmBackends {
 public:
  void add(std::unique_ptr<VmmBackend> backend);
  // Not owned: the caller keeps `backend` alive (unit tests' mocks).
  void add(VmmBackend& backend);
  // Throws Error(invalid_args) when `name` was not added.
  void set_default(std::string_view name);
  const std::string& default_name() const { return default_; }

  // Throws Error(invalid_args) naming the known backends.
  VmmBackend& get(std::string_view name) const;
  std::vector<std::string> names() const;

 private:
  std::vector<std::unique_ptr<VmmBackend>> owned_;
  std::map<std::string, VmmBackend*, std::less<>> by_name_;
  std::string default_;
};

}  // namespace banger
