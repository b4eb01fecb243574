#include "capabilities/dns_names.h"
#include "core/fault_points.h"

#include <net/if.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/log.h"
#include "net/dnsmasq.h"

namespace banger {

namespace fs = std::filesystem;

namespace {

bool executable(const fs::path& binary) { return !binary.empty() && ::access(binary.c_str(), X_OK) == 0; }

// What the network's dnsmasq and resolved registration depend on (not its leases).
bool same_service(const NetworkRecord& a, const NetworkRecord& b) {
  return a.bridge == b.bridge && a.gateway == b.gateway && a.dns_domain == b.dns_domain;
}

// What to type where systemd-resolved cannot be told: per network, the
// resolvectl lines (a resolved that was not running when bangerd started),
// else asking the network's server directly.
std::string manual_resolution(const std::vector<NetworkRecord>& networks) {
  std::vector<NetworkRecord> shown = networks;
  if (shown.empty()) {
    NetworkRecord example;  // the default network as a fresh install makes it
    example.bridge = "bg-default";
    example.gateway = "10.219.0.1";
    example.dns_domain = "banger";
    shown.push_back(example);
  }
  std::string fix;
  for (const auto& n : shown)
    fix += fmt::format("{}resolvectl dns {} {}; resolvectl domain {} '~{}'", fix.empty() ? "" : "; ", n.bridge,
                       n.gateway, n.bridge, n.dns_domain);
  const auto& first = shown.front();
  return fix + fmt::format(" (with systemd-resolved running); else add 'nameserver {}' to /etc/resolv.conf, or ask "
                           "directly: dig @{} <vm>.{}",
                           first.gateway, first.gateway, first.dns_domain);
}

}  // namespace

DnsNames::DnsNames(VmAttachments& attachments, fs::path runtime_dir, fs::path dnsmasq,
                   std::shared_ptr<net::ResolvedLinks> resolved)
    : attachments_(attachments),
      runtime_dir_(std::move(runtime_dir)),
      dnsmasq_(std::move(dnsmasq)),
      resolved_(std::move(resolved)) {}

void DnsNames::start_network(const NetworkRecord& network) {
  std::lock_guard lock(mutex_);
  serve(network);
  tell_resolver(served_.at(network.name));
}

void DnsNames::stop_network(const std::string& network) noexcept {
  std::lock_guard lock(mutex_);
  served_.erase(network);
  net::stop_dnsmasq(net::dnsmasq_files(runtime_dir_, network));
}

void DnsNames::stop_other_networks(const std::vector<NetworkRecord>& networks) noexcept {
  std::vector<std::string> gone;  // collected first: stopping removes files of the directory
  std::error_code ec;
  for (fs::directory_iterator it(runtime_dir_ / "dns", ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().stem().string();
    if (it->path().extension() == ".pid" &&
        std::none_of(networks.begin(), networks.end(), [&](const NetworkRecord& n) { return n.name == name; }))
      gone.push_back(name);
  }
  for (const auto& name : gone) {
    log::info("stopping the DNS server of network '{}', which no longer exists", name);
    stop_network(name);
  }
}

void DnsNames::provision(VmRecord& vm, ProgressSink&) {
  if (auto attachment = attachments_.attachment_of(vm)) {
    std::lock_guard lock(mutex_);
    refresh(attachment->network);
    BANGER_FAULT_POINT("create.dns-entry-written");
  }
}

void DnsNames::prepare_host(const VmRecord& vm) {
  auto attachment = attachments_.attachment_of(vm);
  if (!attachment) return;
  std::lock_guard lock(mutex_);
  const auto known = served_.find(attachment->network.name);
  const bool told = known != served_.end() && known->second.resolver_asked &&
                    same_service(known->second.network, attachment->network);
  serve(attachment->network);
  // start_network told it already, unless that failed or the network changed.
  if (!told) tell_resolver(served_.at(attachment->network.name));
}

void DnsNames::apply_config_change(const VmRecord& before, const VmRecord& after) {
  if (before.name == after.name) return;
  if (auto attachment = attachments_.attachment_of(after)) {
    std::lock_guard lock(mutex_);
    refresh(attachment->network);
  }
}

void DnsNames::cleanup(const VmRecord& vm, CleanupReason reason) noexcept {
  if (reason != CleanupReason::deleted && reason != CleanupReason::create_failed) return;
  try {
    // The VM's row, and so its lease, may still be there: its entry is left out.
    auto attachment = attachments_.attachment_of(vm);
    std::lock_guard lock(mutex_);
    if (attachment) {
      refresh(attachment->network, DnsEntry{vm.name, attachment->address});
    } else {
      for (auto& [name, served] : served_) refresh(served.network);
    }
  } catch (const std::exception& e) {
    log::warn("VM '{}': cannot remove its DNS name: {}", vm.name, e.what());
  }
}

void DnsNames::serve(const NetworkRecord& network) {
  if (!executable(dnsmasq_))
    throw Error(ErrorKind::backend_failed,
                fmt::format("cannot serve DNS on network '{}': dnsmasq ({}) is not installed (apt-get install "
                            "dnsmasq-base, or set [network] dnsmasq)",
                            network.name, dnsmasq_.string()));
  auto& served = served_[network.name];
  if (!same_service(served.network, network)) served.resolver_asked = false;
  served.network = network;
  served.dnsmasq = {};  // until it runs: doctor reports a failed start
  const auto files = net::dnsmasq_files(runtime_dir_, network.name);
  net::write_hosts_file(files, net::render_hosts(attachments_.dns_entries(network.name), network.dns_domain));
  try {
    served.dnsmasq = net::ensure_dnsmasq(net::dnsmasq_command(dnsmasq_, network, files), files);
  } catch (const Error& e) {
    throw Error(ErrorKind::backend_failed,
                fmt::format("cannot serve DNS on network '{}' ({}): {}", network.name, network.gateway, e.what()));
  }
  // An adopted dnsmasq has not read the file just written (a new one reads it once more).
  net::reload_dnsmasq(served.dnsmasq, files);
}

void DnsNames::tell_resolver(Served& served) {
  const auto& network = served.network;
  served.resolver_asked = true;
  const int ifindex = static_cast<int>(::if_nametoindex(network.bridge.c_str()));
  served.unregistered = ifindex == 0 ? fmt::format("bridge {} does not exist", network.bridge)
                                     : resolved_->register_link({ifindex, network.gateway, network.dns_domain});
  if (served.unregistered)
    log::info("network '{}': names under {} do not resolve on the host: {}", network.name, network.dns_domain,
              *served.unregistered);
  else
    log::info("network '{}': systemd-resolved sends names under {} to {}", network.name, network.dns_domain,
              network.gateway);
}

void DnsNames::refresh(const NetworkRecord& network, const std::optional<DnsEntry>& gone) {
  auto entries = attachments_.dns_entries(network.name);
  if (gone)
    std::erase_if(entries, [&](const DnsEntry& e) { return e.name == gone->name && e.address == gone->address; });
  const auto files = net::dnsmasq_files(runtime_dir_, network.name);
  net::write_hosts_file(files, net::render_hosts(entries, network.dns_domain));
  auto served = served_.find(network.name);
  if (served == served_.end() || net::reload_dnsmasq(served->second.dnsmasq, files)) return;
  if (is_running(served->second.dnsmasq)) return;  // alive but slow: it reads the file when it gets to the signal
  // Killed or crashed behind banger's back: the names must not wait for the
  // next VM start to resolve again. A new dnsmasq reads the file just written.
  log::warn("network '{}': its dnsmasq {} is gone; starting it again", network.name, served->second.dnsmasq.pid);
  try {
    served->second.dnsmasq = net::ensure_dnsmasq(net::dnsmasq_command(dnsmasq_, network, files), files);
  } catch (const Error& e) {
    // Not this call's failure: the next start of a VM on the network tries again and reports it.
    log::warn("network '{}': cannot start its dnsmasq again: {}", network.name, e.what());
  }
}

void DnsNames::add_doctor_checks(std::vector<DoctorCheck>& checks) {
  std::lock_guard lock(mutex_);
  checks.push_back(dnsmasq_check());
  checks.push_back(resolver_check());
}

DoctorCheck DnsNames::dnsmasq_check() {
  if (!executable(dnsmasq_))
    return {"dnsmasq", "fail", "dnsmasq is not installed: VMs with a network cannot start",
            fmt::format("{} is not an executable", dnsmasq_.string()),
            "apt-get install dnsmasq-base (or set [network] dnsmasq to its path)"};
  std::string serving, down;
  for (const auto& [name, served] : served_)
    (is_running(served.dnsmasq) ? serving : down) += (name + " ");
  if (!down.empty())
    return {"dnsmasq", "warn", "the DNS server of some networks is not running",
            fmt::format("not running: {}; logs in {}", down, (runtime_dir_ / "dns").string()),
            "start a VM on the network, or restart bangerd"};
  return {"dnsmasq", "ok", "dnsmasq serves the VMs' names",
          fmt::format("{}; networks: {}", dnsmasq_.string(), serving.empty() ? "none yet" : serving), ""};
}

DoctorCheck DnsNames::resolver_check() {
  std::vector<NetworkRecord> networks;
  std::string failures;
  for (const auto& [name, served] : served_) {
    networks.push_back(served.network);
    if (served.unregistered) failures += fmt::format("{}{}: {}", failures.empty() ? "" : "; ", name, *served.unregistered);
  }
  if (auto why = resolved_->unavailable())
    return {"systemd-resolved", "warn", "VM names resolve only where the networks' DNS servers are asked", *why,
            manual_resolution(networks)};
  if (!failures.empty())
    return {"systemd-resolved", "warn", "systemd-resolved does not know every network's DNS server", failures,
            manual_resolution(networks)};
  return {"systemd-resolved", "ok", "the host resolves the VMs' names through systemd-resolved",
          networks.empty() ? "no network is served yet" : "", ""};
}

}  // namespace banger
