#include "core/lock_table.h"

#include <fmt/format.h>

#include "core/errors.h"

namespace banger {

LockTable::Guard::Guard(Guard&& other) noexcept : table_(other.table_), key_(std::move(other.key_)) {
  other.table_ = nullptr;
}

LockTable::Guard& LockTable::Guard::operator=(Guard&& other) noexcept {
  if (this != &other) {
    release();
    table_ = other.table_;
    key_ = std::move(other.key_);
    other.table_ = nullptr;
  }
  return *this;
}

LockTable::Guard::~Guard() { release(); }

void LockTable::Guard::release() noexcept {
  if (table_ != nullptr) table_->unlock(key_);
  table_ = nullptr;
}

LockTable::Guard LockTable::acquire(const std::string& key, std::chrono::milliseconds timeout, std::string_view what) {
  std::unique_lock lock(mutex_);
  auto& slot = entries_[key];
  if (!slot) slot = std::make_unique<Entry>();
  Entry* entry = slot.get();  // stays while users > 0
  ++entry->users;
  if (released_.wait_for(lock, timeout, [entry] { return !entry->held; })) {
    entry->held = true;
    return Guard(this, key);
  }
  if (--entry->users == 0) entries_.erase(key);
  throw Error(ErrorKind::busy, fmt::format("{} is busy with another operation; try again later", what));
}

void LockTable::unlock(const std::string& key) noexcept {
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    it->second->held = false;
    if (--it->second->users == 0) entries_.erase(it);
  }
  released_.notify_all();
}

std::size_t LockTable::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace banger
