#pragma once
#include <mutex>
#include <set>
#include <string>
#include <string_view>

namespace banger {

// The VMs a workspace transfer is copying into or out of. A transfer claims
// its VM under the VM's lifecycle lock (VmManager::inspect) and then copies
// without that lock; meanwhile VmManager answers Busy to start, stop, delete
// and set (it asks refuse_if_claimed under the lifecycle lock), so the VM's
// state stays what the transfer saw.
class WorkspaceLocks {
 public:
  class Claim {
   public:
    Claim() = default;
    Claim(Claim&& other) noexcept;
    Claim& operator=(Claim&& other) noexcept;
    Claim(const Claim&) = delete;
    Claim& operator=(const Claim&) = delete;
    ~Claim();

   private:
    friend class WorkspaceLocks;
    Claim(WorkspaceLocks* locks, std::string id) : locks_(locks), id_(std::move(id)) {}
    void release() noexcept;
    WorkspaceLocks* locks_ = nullptr;
    std::string id_;
  };

  // Error(busy) naming `name` when another transfer holds the VM.
  Claim claim(const std::string& id, std::string_view name);
  // Error(busy) naming `name` while a transfer holds the VM.
  void refuse_if_claimed(const std::string& id, std::string_view name) const;

 private:
  mutable std::mutex mutex_;
  std::set<std::string, std::less<>> claimed_;
};

}  // namespace banger
