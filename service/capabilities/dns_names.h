#pragma once
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/capability.h"
#include "core/network_services.h"
#include "core/vm_attachment.h"
#include "net/resolved_link.h"
#include "vmm/process.h"

namespace banger {

// `<vm>.<domain>` for every VM holding an address: one dnsmasq per network on
// its gateway (net/dnsmasq.h) answers from a hosts file rewritten whenever a
// VM on it appears, is renamed or goes; the host's systemd-resolved, where it
// runs, sends the network's domain there. Guests learn the gateway as their
// DNS server from the tap capability. dnsmasq outlives bangerd and is adopted
// at its next start; it stops only with its network.
class DnsNames : public Capability, public NetworkServices {
 public:
  // `dnsmasq`: the binary ([network] dnsmasq). `resolved` may be shared with
  // whoever else needs it.
  DnsNames(VmAttachments& attachments, std::filesystem::path runtime_dir, std::filesystem::path dnsmasq,
           std::shared_ptr<net::ResolvedLinks> resolved);

  std::string_view name() const override { return "dns-names"; }
  void provision(VmRecord& vm, ProgressSink& progress) override;
  // The VM's network has its dnsmasq running, with the VM in its hosts file.
  // Throws Error(backend_failed) when dnsmasq cannot start, with its reason.
  void prepare_host(const VmRecord& vm) override;
  void apply_config_change(const VmRecord& before, const VmRecord& after) override;
  // Deleted (or never made): its name goes. Stopped VMs keep name and address.
  void cleanup(const VmRecord& vm, CleanupReason reason) noexcept override;
  void add_doctor_checks(std::vector<DoctorCheck>& checks) override;

  // Daemon start-up and network creation: the network's dnsmasq runs (the one
  // still running from before is adopted) with a current hosts file, and
  // systemd-resolved is told (a failure there is logged and shown by doctor).
  // Throws Error(backend_failed) when dnsmasq cannot start.
  void start_network(const NetworkRecord& network) override;
  // Network deletion: its dnsmasq stops and its files go. Never throws.
  void stop_network(const std::string& network) noexcept override;
  // Daemon start-up: stops the dnsmasq of every network not in `networks`
  // (deleted while a crash kept bangerd from stopping it). Never throws.
  void stop_other_networks(const std::vector<NetworkRecord>& networks) noexcept override;

 private:
  struct Served {
    NetworkRecord network;
    ProcessId dnsmasq;
    bool resolver_asked = false;
    std::optional<std::string> unregistered;  // why systemd-resolved was not told
  };

  void serve(const NetworkRecord& network);
  void tell_resolver(Served& served);
  // Rewrites the hosts file, leaving out `gone` (a VM being deleted), and has
  // a running dnsmasq re-read it.
  void refresh(const NetworkRecord& network, const std::optional<DnsEntry>& gone = std::nullopt);
  DoctorCheck dnsmasq_check();
  DoctorCheck resolver_check();

  VmAttachments& attachments_;
  std::filesystem::path runtime_dir_;
  std::filesystem::path dnsmasq_;
  std::shared_ptr<net::ResolvedLinks> resolved_;
  std::mutex mutex_;
  std::map<std::string, Served> served_;  // by network name
};

}  // namespace banger
