#pragma once
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace banger {

// One lock per VM, keyed by the stable id, held across a whole lifecycle
// operation. Entries live only while someone holds or waits for them, so the
// table does not grow with every VM ever created.
class LockTable {
  struct Entry {
    std::timed_mutex mutex;
    unsigned users = 0;  // holders and waiters, guarded by LockTable::mutex_
  };

 public:
  class Guard {
   public:
    Guard() = default;
    Guard(Guard&& other) noexcept;
    Guard& operator=(Guard&& other) noexcept;
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    ~Guard();

   private:
    friend class LockTable;
    Guard(LockTable* table, std::string key) : table_(table), key_(std::move(key)) {}
    void release() noexcept;
    LockTable* table_ = nullptr;
    std::string key_;
  };

  // Waits up to `timeout`; throws Error(busy) naming `what` when it could not lock.
  Guard acquire(const std::string& key, std::chrono::milliseconds timeout, std::string_view what);

  std::size_t size() const;

 private:
  void unlock(const std::string& key) noexcept;

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Entry>> entries_;
};

}  // namespace banger
