#pragma once
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/capability.h"
#include "core/guest_ports.h"
#include "core/port_forward.h"
#include "core/unique_fd.h"
#include "core/vm_attachment.h"
#include "net/port_forward_ruleset.h"
#include "core/forward_store.h"

namespace banger {

// How many forwards one VM, and all the VMs of one owner, may have (manual and
// automatic alike): each active forward holds a socket in bangerd, and a guest
// with forward_ports on chooses how many ports it listens on. Root's VMs are
// limited too (the fd limit is the daemon's, whoever asks).
struct ForwardLimits {
  std::size_t per_vm = 64;
  std::size_t per_owner = 256;
};

struct PortForwardsDeps {
  ForwardStore& store;
  VmAttachments& attachments;
  ForwardEvents& events;
  // Replaces the host's forward rules with these (PortForwardTable::apply).
  std::function<void(const std::vector<ForwardRule>&)> apply_rules;
  // Holds a host port (net/port_reservation.h); Error(busy) when it is taken.
  std::function<UniqueFd(const std::string& protocol, std::uint16_t port)> reserve_port;
  ForwardLimits limits = {};
  // The ids of every VM of an owner (for ForwardLimits::per_owner); without it
  // only the VM at hand counts.
  std::function<std::vector<std::string>(std::uint32_t owner_uid)> vms_owned_by = {};
};

// A VM's port forwards: stored for good (until removed or the VM is deleted),
// active while it runs. Active means a rule in banger's forward table and the
// host port held by a bound socket, taken at start (a port some host program
// took while the VM was off stays inactive, with a warning) and released at
// stop. With the VM's forward_ports option on, every port its guest listens on
// (≥ 1024, not taken) is forwarded on the same host port and removed again
// when the guest stops listening; a port that cannot be forwarded is logged
// once per run. Manual forwards are never removed automatically.
//
// The verbs run under the VM's lock (VmManager::inspect), the hooks under it
// too; guest_ports_changed comes from the port poller's thread. One mutex
// orders all of them, and the rules are rewritten as a whole each time.
class PortForwards final : public Capability, public GuestPortsObserver {
 public:
  explicit PortForwards(PortForwardsDeps deps) : deps_(std::move(deps)) {}

  std::string_view name() const override { return "port-forwards"; }

  // Error(invalid_args) for bad ports or a VM without a network, Error(exists)
  // naming the VM that forwards the host port already, Error(busy) when a
  // host program holds it, Error(resource_exhausted) past ForwardLimits. Return the VM's forwards after the change.
  std::vector<PortForward> add(const VmRecord& vm, const std::string& protocol, std::uint16_t host_port,
                               std::uint16_t guest_port);
  // Error(invalid_args) when the VM has no such forward.
  std::vector<PortForward> remove(const VmRecord& vm, const std::string& protocol, std::uint16_t host_port);
  std::vector<PortForward> list(const std::string& vm_id);

  // At start-up, after VM recovery: re-activates the forwards of the VMs
  // that still run, drops automatic ones of the others, rewrites the rules
  // (removing those of VMs that stopped while bangerd was away).
  void restore(const std::vector<VmRecord>& vms);
  // Tells ForwardEvents every VM's forwards (once the bus objects exist).
  void publish_all(const std::vector<VmRecord>& vms);

  void post_start(const VmRecord& vm) override;
  void cleanup(const VmRecord& vm, CleanupReason reason) noexcept override;
  void apply_config_change(const VmRecord& before, const VmRecord& after) override;
  void guest_ports_changed(const std::string& vm_id, const std::vector<GuestPort>& ports) override;

 private:
  using PortKey = std::pair<std::string, std::uint16_t>;  // protocol, port
  struct Running {
    VmRecord vm;
    std::string address;
    std::string bridge;
    std::vector<GuestPort> guest_ports;  // as last reported
    std::set<PortKey> skip_logged;       // guest ports not forwarded automatically, already logged
  };

  // Error(resource_exhausted) when the VM or its owner has all the forwards it may.
  void check_limits(const VmRecord& vm);
  void activate(const VmRecord& vm, const VmAttachment& attachment);
  void hold(const std::string& vm_name, const PortForward& forward);
  // Brings the VM's automatic forwards in line with its guest's ports; true when any changed.
  bool sync_automatic(Running& running);
  bool drop_automatic(const std::string& vm_id);
  void apply_rules();
  void publish(const std::string& vm_id);

  PortForwardsDeps deps_;
  std::mutex mutex_;
  std::map<std::string, Running> running_;  // by VM id
  std::map<PortKey, UniqueFd> held_;        // the host ports of active forwards
};

}  // namespace banger
