#include "core/vmm_backends.h"

#include <fmt/format.h>

#include "core/errors.h"

namespace banger {

void VmmBackends::add(std::unique_ptr<VmmBackend> backend) {
  add(*backend);
  owned_.push_back(std::move(backend));
}

void VmmBackends::add(VmmBackend& backend) {
  by_name_[std::string(backend.name())] = &backend;
  if (default_.empty()) default_ = backend.name();
}

void VmmBackends::set_default(std::string_view name) {
  get(name);
  default_ = name;
}

VmmBackend& VmmBackends::get(std::string_view name) const {
  auto found = by_name_.find(name);
  if (found != by_name_.end()) return *found->second;
  std::string known;
  for (const auto& [n, b] : by_name_) known += (known.empty() ? "" : ", ") + n;
  throw Error(ErrorKind::invalid_args,
              fmt::format("option 'backend': unknown VMM backend '{}' (known: {})", name, known.empty() ? "none" : known));
}

std::vector<std::string> VmmBackends::names() const {
  std::vector<std::string> out;
  for (const auto& [n, b] : by_name_) out.push_back(n);
  return out;
}

}  // namespace banger
