#pragma once
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace banger {

// One lock per VM, keyed by the stable id, held across a whole lifecycle
// operation. Entries live only while someone holds or waits for them, so the
// table does not grow with every VM ever created.
//
// A flag per key under the table's mutex, not a std::timed_mutex per key: ThreadSanitizer
// cannot see timed_mutex's pthread_mutex_clocklock (gcc 12), so it reported every release
// as "unlock of an unlocked mutex" and missed the ordering the lock gives; and a Guard may
// now be released on any thread (a timed_mutex must be unlocked by the thread that locked it).
class LockTable {
  struct Entry {
    bool held = false;
    unsigned users = 0;  // holders and waiters
  };  // both guarded by LockTable::mutex_

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
  std::condition_variable released_;  // one for all keys: waiters are few
  std::map<std::string, std::unique_ptr<Entry>> entries_;
};

}  // namespace banger
