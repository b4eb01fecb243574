#pragma once
#include <chrono>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core/guest_clock.h"
#include "core/login_manager.h"
#include "core/unique_fd.h"
#include "core/vm_events.h"

namespace banger {

// What HostPower does to VMs; VmManager answers it (VmManagerPowerControl).
class PowerControlledVms {
 public:
  virtual ~PowerControlledVms() = default;
  // Running and paused VMs (a paused one is stopped at shutdown, left alone over sleep).
  virtual std::vector<VmRecord> running() = 0;
  // Each throws Error saying why; pause gives up on a VM another operation holds.
  virtual void pause(const VmRecord& vm) = 0;
  virtual void resume(const VmRecord& vm) = 0;
  // A graceful stop that ends the VMM forcibly once `within` has passed.
  virtual void stop(const VmRecord& vm, std::chrono::milliseconds within) = 0;
  // VM.Suspend, waiting at most `wait` for the VM's lock.
  virtual void suspend(const VmRecord& vm, std::chrono::milliseconds wait) = 0;
};

// Host sleep and shutdown (issue 16). While at least one VM's VMM runs, holds
// logind's "delay" lock on sleep and shutdown, so logind waits for it:
//   before sleep    pause every running VM, then let go of the lock;
//   after sleep     resume them, take the lock again, set each guest's clock;
//   before shutdown stop every running VM gracefully within logind's delay
//                   (InhibitDelayMaxUSec), or with suspend_at_shutdown suspend
//                   it (stopping it when that fails), then let go of the lock.
// Everything talking to logind runs through `post` (one thread, in order):
// VmEvents arrive on workers holding a VM's lock and must not wait for D-Bus.
// The before/after methods are called through `post` too (host/logind_bus.h).
// No logind: no lock, logged once; nothing fails.
class HostPower final : public VmEvents {
 public:
  using Post = std::function<void(std::function<void()>)>;
  struct Deps {
    PowerControlledVms& vms;
    LoginManager& logind;
    GuestClock* clock;  // none: guests' clocks are left alone (no SSH into guests)
    Post post;
    bool suspend_at_shutdown = false;  // [vm] at_host_shutdown = "suspend"
  };
  explicit HostPower(Deps deps) : deps_(std::move(deps)) {}

  // The VMs adopted at start-up (recover()), whose VMMs run already.
  void track_running(const std::vector<VmRecord>& vms);
  void vm_added(const VmRecord&) override {}
  void vm_changed(const VmRecord& before, const VmRecord& after, std::string_view reason) override;
  void vm_removed(const VmRecord& vm) override;

  void before_sleep();
  void after_sleep();
  void before_shutdown();
  void shutdown_cancelled();  // PrepareForShutdown(false)

  // For Doctor and the tests: whether the lock is held, and why it says.
  bool holds_lock() const;
  std::string lock_reason() const;
  // How long before_shutdown gives the guests, out of logind's delay: a
  // margin for bangerd's own cleanup, never less than a second.
  static std::chrono::milliseconds stop_budget(std::chrono::microseconds delay_max);

 private:
  void vmm_running(const std::string& id, bool running);
  void follow_count();  // on the post thread: take, renew or drop the lock
  std::size_t running_count() const;

  Deps deps_;
  mutable std::mutex mutex_;
  std::set<std::string> running_;  // VMs whose VMM runs (starting, running, stopping)
  // Touched on the post thread only, but read by holds_lock(): under mutex_ as well.
  UniqueFd lock_;
  std::string lock_reason_;
  bool asleep_ = false;
  bool shutting_down_ = false;
  bool told_unavailable_ = false;
  std::vector<VmRecord> paused_;
};

}  // namespace banger
