#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <sdbus-c++/sdbus-c++.h>

#include "bus/bus_context.h"
#include "bus/caller.h"
#include "bus/vm_network_properties.h"
#include "core/authorized_key_events.h"
#include "core/guest_ports.h"
#include "core/vm.h"
#include "bus/vm_properties.h"
#include "dev.banger.banger1.VM_table_adaptor.h"
#include "core/vm_stats.h"

namespace banger {

class VmManager;

// What a VM object holds; its properties read it through properties::VM::table.
struct VmShown {
  VmRecord vm;
  VmNetworkProperties network;
  std::vector<AuthorizedKeyInfo> keys;
  stats::VmStats stats;
  std::vector<GuestPort> ports;  // from the port poller; empty while not running
  std::vector<PortForward> forwards;
};

// One exported VM. Properties answer from the cached record (never fail, never
// touch the store); the record is refreshed from domain events on the bus thread.
class VmObject final
    : public sdbus::AdaptorInterfaces<properties::VMTableAdaptor<VmObject>, sdbus::Properties_adaptor>,
      public std::enable_shared_from_this<VmObject> {
 public:
  // Exports the object and announces it (InterfacesAdded) only once complete.
  VmObject(BusContext& ctx, VmRecord vm, VmNetworkProperties network);
  // Unexports (announcing nothing: see announce_removal).
  ~VmObject();

  const VmRecord& record() const { return shown_.vm; }
  const VmNetworkProperties& network() const { return shown_.network; }
  const std::vector<AuthorizedKeyInfo>& authorized_keys() const { return shown_.keys; }
  // What the properties show now (Uptime counted on since the poller's last figures).
  VmView view() const { return view_of(shown_, current_stats()); }
  // A property's value, as a Get answers it (properties::VMTableAdaptor).
  template <typename Tag>
  typename Tag::type property() const {
    return properties::VM::table.get<Tag>(view());
  }
  const std::string& path() const { return getObject().getObjectPath(); }
  void update(const VmRecord& vm, std::string_view reason, VmNetworkProperties network);
  void update_network(VmNetworkProperties network);
  void update_authorized_keys(std::vector<AuthorizedKeyInfo> keys);
  // The stats poller's latest figures (see VmStatsProperties).
  void update_stats(const stats::VmStats& stats);
  // The stats as the properties answer them now (Uptime counted on since the last update).
  stats::VmStats current_stats() const;
  const std::vector<GuestPort>& ports() const { return shown_.ports; }
  // PropertiesChanged(Ports) when `ports` differs from the last list.
  void update_ports(std::vector<GuestPort> ports);
  const std::vector<PortForward>& forwards() const { return shown_.forwards; }
  void update_forwards(std::vector<PortForward> forwards);
  // InterfacesRemoved when the VM is deleted; the object itself may live on
  // until replies to calls it received are sent (see authorize_and_run).
  void announce_removal();

  // The verbs, shared with the Manager's by-name methods.
  void start(sdbus::Result<>&& result, const Caller& caller);
  void stop(sdbus::Result<>&& result, const Caller& caller, bool force);
  void remove(sdbus::Result<>&& result, const Caller& caller);

 private:
  void Start(sdbus::Result<>&& result) override;
  void StartWith(sdbus::Result<>&& result, std::map<std::string, sdbus::Variant> options) override;
  void Stop(sdbus::Result<>&& result, bool force) override;
  void Restart(sdbus::Result<>&& result) override;
  void Kill(sdbus::Result<>&& result) override;
  void Pause(sdbus::Result<>&& result) override;
  void Resume(sdbus::Result<>&& result) override;
  void Suspend(sdbus::Result<>&& result) override;
  void Delete(sdbus::Result<>&& result) override;
  void Clone(sdbus::Result<sdbus::ObjectPath, sdbus::ObjectPath>&& result, std::string new_name) override;
  void Snapshot(sdbus::Result<sdbus::ObjectPath, sdbus::ObjectPath>&& result, std::string name,
                std::map<std::string, sdbus::Variant> options) override;
  void Set(sdbus::Result<>&& result, std::map<std::string, sdbus::Variant> changes) override;
  void Touch(sdbus::Result<>&& result) override;
  void ReadConsole(sdbus::Result<std::vector<uint8_t>, uint64_t>&& result, uint64_t offset,
                   uint32_t max_bytes) override;
  void OpenConsole(sdbus::Result<sdbus::UnixFd>&& result) override;
  void PushWorkspace(sdbus::Result<sdbus::ObjectPath>&& result, sdbus::UnixFd archive,
                     std::map<std::string, sdbus::Variant> options) override;
  void PullWorkspace(sdbus::Result<sdbus::ObjectPath>&& result, sdbus::UnixFd archive,
                     std::map<std::string, sdbus::Variant> options) override;
  void AddAuthorizedKeys(sdbus::Result<>&& result, std::vector<std::string> keys) override;
  void RemoveAuthorizedKeys(sdbus::Result<>&& result, std::vector<std::string> fingerprints) override;
  void ForwardPort(sdbus::Result<>&& result, std::string protocol, uint16_t host_port, uint16_t guest_port) override;
  void RemoveForward(sdbus::Result<>&& result, std::string protocol, uint16_t host_port) override;

  // Moves to `next`, signalling the properties (by the table) and the state that changed.
  void change(VmShown next, std::string_view reason = {});
  // change() with one part of what the object shows replaced.
  template <typename Part>
  void change_part(Part VmShown::*part, Part value);
  VmView view_of(const VmShown& shown, const stats::VmStats& stats) const {
    return {shown.vm, shown.network, shown.keys, stats, shown.ports, shown.forwards};
  }

  Caller current_caller() const;
  // Owners act under manage-own-vms; anyone else needs manage-vms.
  const char* action_for(const Caller& caller) const;
  std::map<std::string, std::string> details(const char* verb) const;
  void act(sdbus::Result<>&& result, const Caller& caller, const char* verb, std::function<void(VmManager&)> work);

  BusContext& ctx_;
  VmShown shown_;
  std::chrono::steady_clock::time_point stats_at_;  // when shown_.stats arrived: Uptime counts on from there
};

}  // namespace banger
