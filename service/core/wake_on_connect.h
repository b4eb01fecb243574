#pragma once
// Wake-on-connect (issue 19): while a VM with idle sleep on (IdleSuspendSeconds
// > 0) is suspended, the first segment of a TCP connection to its address or to
// one of its TCP forwards' host ports is held by the host (net/wake_queue.h,
// under the rules of net/wake_ruleset.h) and handed here; the VM is started
// (restored) and the segment let go, so the client connects without waiting
// out a SYN retransmit. A VM suspended by hand without idle sleep stays asleep:
// its owner asked for that.
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/forward_store.h"
#include "core/vm_attachment.h"
#include "core/vm_events.h"

namespace banger {

// A suspended VM a connection wakes, as the host's rules match it.
struct WakeEntry {
  std::string address;                     // the VM's IPv4, no prefix
  std::vector<std::uint16_t> host_ports;   // its TCP forwards' host ports, sorted
  bool operator==(const WakeEntry&) const = default;
};

// The host's rules (net/wake_table.h): hold connections to exactly these VMs.
class WakeRules {
 public:
  virtual ~WakeRules() = default;
  // Replaces the rules; an empty list leaves none. Throws when the host refuses.
  virtual void set(const std::vector<WakeEntry>& entries) = 0;
};

// The held segments (net/wake_queue.h): each one let go exactly once.
class HeldConnections {
 public:
  virtual ~HeldConnections() = default;
  virtual void release(std::uint32_t packet_id) noexcept = 0;
};

class WakeOnConnect final : public VmEvents {
 public:
  struct Deps {
    WakeRules& rules;
    HeldConnections& held;
    VmAttachments& attachments;
    ForwardStore& forwards;
    // Runs `job` on a worker (the start takes a while; the queue's reader must go on).
    std::function<void(std::function<void()> job)> run;
    std::function<void(const std::string& vm_id)> start;  // throws when it cannot
  };
  explicit WakeOnConnect(Deps deps) : deps_(std::move(deps)) {}

  // At start-up, after recovery: the rules for the VMs suspended now (a restart of
  // bangerd, or the host's, finds them so).
  void load(const std::vector<VmRecord>& vms);
  // A held segment to `address` (host byte order) and TCP `port`: starts the VM it
  // goes to and lets it go then, or at once when it goes to none. Never throws.
  void connection(std::uint32_t packet_id, std::uint32_t address, std::uint16_t port) noexcept;

  void vm_added(const VmRecord& vm) override { follow(vm); }
  void vm_changed(const VmRecord&, const VmRecord& after, std::string_view) override { follow(after); }
  void vm_removed(const VmRecord& vm) override;

 private:
  void follow(const VmRecord& vm);
  void apply_locked();  // the rules for entries_, logged when the host refuses
  std::string vm_for_locked(std::uint32_t address, std::uint16_t port) const;
  void wake(const std::string& vm_id);

  Deps deps_;
  std::mutex mutex_;
  std::map<std::string, WakeEntry> entries_;                   // wakeable VMs, by id
  std::map<std::string, std::vector<std::uint32_t>> waking_;  // held packets of VMs being started
};

}  // namespace banger
