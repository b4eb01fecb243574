#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <sdbus-c++/sdbus-c++.h>

#include "bus/bus_context.h"
#include "bus/caller.h"
#include "bus/vm_forward_methods.h"
#include "bus/vm_network_properties.h"
#include "core/authorized_key_events.h"
#include "bus/vm_ports_properties.h"
#include "core/guest_ports.h"
#include "core/vm.h"
#include "dev.banger.banger1.VM_adaptor.h"
#include "stats/vm_stats.h"

namespace banger {

class VmManager;

// One exported VM. Properties answer from the cached record (never fail, never
// touch the store); the record is refreshed from domain events on the bus thread.
class VmObject final : public sdbus::AdaptorInterfaces<dev::banger::banger1::VM_adaptor, sdbus::Properties_adaptor>,
                       public std::enable_shared_from_this<VmObject> {
 public:
  // Exports the object and announces it (InterfacesAdded) only once complete.
  VmObject(BusContext& ctx, VmRecord vm, VmNetworkProperties network);
  // Unexports (announcing nothing: see announce_removal).
  ~VmObject();

  const VmRecord& record() const { return vm_; }
  const VmNetworkProperties& network() const { return network_; }
  const std::vector<AuthorizedKeyInfo>& authorized_keys() const { return authorized_keys_; }
  const std::string& path() const { return getObject().getObjectPath(); }
  void update(const VmRecord& vm, std::string_view reason, VmNetworkProperties network);
  void update_network(VmNetworkProperties network);
  void update_authorized_keys(std::vector<AuthorizedKeyInfo> keys);
  // The stats poller's latest figures (see VmStatsProperties).
  void update_stats(const stats::VmStats& stats);
  // The stats as the properties answer them now (Uptime counted on since the last update).
  stats::VmStats current_stats() const;
  const std::vector<GuestPort>& ports() const { return ports_; }
  // PropertiesChanged(Ports) when `ports` differs from the last list.
  void update_ports(std::vector<GuestPort> ports);
  const std::vector<PortForward>& forwards() const { return forwards_; }
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
  void Stop(sdbus::Result<>&& result, bool force) override;
  void Restart(sdbus::Result<>&& result) override;
  void Kill(sdbus::Result<>&& result) override;
  void Delete(sdbus::Result<>&& result) override;
  void Clone(sdbus::Result<sdbus::ObjectPath, sdbus::ObjectPath>&& result, std::string new_name) override;
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

  std::string Id() override { return vm_.id; }
  std::string Name() override { return vm_.name; }
  uint32_t OwnerUID() override { return vm_.owner_uid; }
  std::string State() override { return std::string(to_string(vm_.state)); }
  uint32_t VCPUs() override { return vm_.vcpus; }
  uint32_t MemoryMiB() override { return vm_.memory_mib; }
  std::string Image() override { return vm_.image; }
  std::string Backend() override { return vm_.backend; }
  std::string LastError() override { return vm_.last_error; }
  uint64_t CreatedAt() override { return vm_.created_at_us; }
  uint64_t UpdatedAt() override { return vm_.updated_at_us; }
  std::string Network() override { return network_.network; }
  std::string IPv4Address() override { return network_.ipv4_address; }
  std::string MACAddress() override { return network_.mac_address; }
  std::string TapDevice() override { return network_.tap_device; }
  std::string DNSName() override { return network_.dns_name; }
  uint64_t DiskMiB() override { return vm_.disk_mib; }
  std::string RootDiskStrategy() override { return vm_.root_disk_strategy; }
  uint64_t WorkDiskMiB() override { return vm_.work_disk_mib; }
  bool KeepWorkDisk() override { return vm_.keep_work_disk; }
  std::vector<sdbus::Struct<std::string, std::string>> AuthorizedKeys() override;
  double CPUPercent() override { return stats_.cpu_percent; }
  uint64_t MemoryRSSBytes() override { return stats_.memory_rss_bytes; }
  uint64_t BlockReadBytes() override { return stats_.block_read_bytes; }
  uint64_t BlockWriteBytes() override { return stats_.block_write_bytes; }
  uint64_t NetRxBytes() override { return stats_.net_rx_bytes; }
  uint64_t NetTxBytes() override { return stats_.net_tx_bytes; }
  uint64_t Uptime() override { return current_stats().uptime_s; }
  BusGuestPorts Ports() override { return to_bus_ports(ports_); }
  BusForwards Forwards() override { return to_bus_forwards(forwards_); }
  bool ForwardPorts() override { return vm_.forward_ports; }
  bool Autostart() override { return vm_.autostart; }
  // The names of the network properties that differ from `network`.
  std::vector<std::string> network_changes(const VmNetworkProperties& network) const;

  Caller current_caller() const;
  // Owners act under manage-own-vms; anyone else needs manage-vms.
  const char* action_for(const Caller& caller) const;
  std::map<std::string, std::string> details(const char* verb) const;
  void act(sdbus::Result<>&& result, const Caller& caller, const char* verb, std::function<void(VmManager&)> work);

  BusContext& ctx_;
  VmRecord vm_;
  VmNetworkProperties network_;
  std::vector<AuthorizedKeyInfo> authorized_keys_;
  stats::VmStats stats_;
  std::chrono::steady_clock::time_point stats_at_;  // when stats_ arrived: Uptime counts on from there
  std::vector<GuestPort> ports_;  // from the port poller; empty while not running
  std::vector<PortForward> forwards_;
};

}  // namespace banger
