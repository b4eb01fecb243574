#include "core/transfer_slots.h"

#include <fmt/format.h>

#include "core/errors.h"

namespace banger {

TransferSlots::TransferSlots(std::size_t total, std::size_t per_uid) : total_(total), per_uid_(per_uid) {}

TransferSlots::Slot TransferSlots::acquire(std::uint32_t uid) {
  std::lock_guard lock(mutex_);
  if (running_ >= total_)
    throw Error(ErrorKind::resource_exhausted,
                fmt::format("{} workspace transfers are running, as many as bangerd runs at once; try again later",
                            running_));
  auto& mine = by_uid_[uid];
  if (uid != 0 && mine >= per_uid_)
    throw Error(ErrorKind::resource_exhausted,
                fmt::format("uid {} has {} workspace transfers running, as many as one user may", uid, mine));
  ++mine;
  ++running_;
  // The deleter is all a slot is; `this` outlives every slot (bangerd's lifetime).
  return Slot(static_cast<void*>(nullptr), [this, uid](void*) { release(uid); });
}

void TransferSlots::release(std::uint32_t uid) {
  std::lock_guard lock(mutex_);
  --running_;
  if (--by_uid_[uid] == 0) by_uid_.erase(uid);
}

}  // namespace banger
