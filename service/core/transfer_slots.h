#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

namespace banger {

// Workspace transfers read and write a caller's descriptor for as long as the
// caller keeps it open, so each one holds a thread of its own. A slot is that
// thread's ticket: at most `total` transfers run at once, at most `per_uid`
// for one caller (root exempt from the latter: the administrator), and past
// either the call is refused at once with Error(resource_exhausted) instead of
// queueing behind stuck ones.
class TransferSlots {
 public:
  TransferSlots(std::size_t total, std::size_t per_uid);

  // Released when the last copy of the pointer goes.
  using Slot = std::shared_ptr<void>;
  Slot acquire(std::uint32_t uid);

  std::size_t total() const { return total_; }

 private:
  void release(std::uint32_t uid);

  const std::size_t total_;
  const std::size_t per_uid_;
  std::mutex mutex_;
  std::size_t running_ = 0;
  std::map<std::uint32_t, std::size_t> by_uid_;
};

}  // namespace banger
