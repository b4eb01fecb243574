#include "core/workspace_locks.h"

#include <utility>

#include <fmt/format.h>

#include "core/errors.h"

namespace banger {

namespace {

[[noreturn]] void busy(std::string_view name) {
  throw Error(ErrorKind::busy, fmt::format("VM '{}' is busy with a workspace transfer", name));
}

}  // namespace

WorkspaceLocks::Claim::Claim(Claim&& other) noexcept
    : locks_(std::exchange(other.locks_, nullptr)), id_(std::move(other.id_)) {}

WorkspaceLocks::Claim& WorkspaceLocks::Claim::operator=(Claim&& other) noexcept {
  if (this != &other) {
    release();
    locks_ = std::exchange(other.locks_, nullptr);
    id_ = std::move(other.id_);
  }
  return *this;
}

WorkspaceLocks::Claim::~Claim() { release(); }

void WorkspaceLocks::Claim::release() noexcept {
  if (locks_ == nullptr) return;
  std::lock_guard lock(locks_->mutex_);
  locks_->claimed_.erase(id_);
  locks_ = nullptr;
}

WorkspaceLocks::Claim WorkspaceLocks::claim(const std::string& id, std::string_view name) {
  std::lock_guard lock(mutex_);
  if (!claimed_.insert(id).second) busy(name);
  return Claim(this, id);
}

void WorkspaceLocks::refuse_if_claimed(const std::string& id, std::string_view name) const {
  std::lock_guard lock(mutex_);
  if (claimed_.contains(id)) busy(name);
}

}  // namespace banger
