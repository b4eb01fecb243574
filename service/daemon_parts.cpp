// What bangerd's start-up assembles that needs none of its state: the backends
// (made before any layer of daemon/) and, in builds without host networking,
// networks that stay records.
#include "daemon_parts.h"

#include <unistd.h>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/log.h"

namespace banger {

namespace {

// "auto": Firecracker is the primary backend, but most distributions do not ship
// it; QEMU's microvm boots the default image anywhere.
std::string chosen_backend(const Config& config) {
  if (config.backend != "auto") return config.backend;
  return access(config.firecracker.binary.c_str(), X_OK) == 0 ? "firecracker" : "qemu";
}

// Without a host implementation (see DaemonExtensions::host_networks) networks
// are records only; no host route is known, so the default subnet is taken as configured.
class UnappliedHostNetworks final : public HostNetworks {
 public:
  std::vector<net::Cidr> host_routes() override { return {}; }
  void ensure_bridge(const NetworkRecord& network) override {
    log::info("network '{}': host networking is not part of this build; bridge {} not set up", network.name,
              network.bridge);
  }
  void remove_bridge(const std::string&) override {}
  void apply_nat(const std::vector<NetworkRecord>&) override {}
};

}  // namespace

VmmBackends make_backends(const Config& config, DaemonExtensions& extensions) {
  VmmBackends backends;
  for (const auto& [name, make] : extensions.backends) backends.add(make(config));
  const std::string chosen = chosen_backend(config);
  try {
    backends.set_default(chosen);
  } catch (const Error&) {
    std::string known;
    for (const auto& name : backends.names()) known += (known.empty() ? "" : ", ") + name;
    throw Error(ErrorKind::invalid_args, fmt::format("VMM backend '{}' is not available in this build (available: {})",
                                                     chosen, known.empty() ? "none" : known));
  }
  return backends;
}

void log_unavailable_backends(const VmmBackends& backends) {
  for (const auto& name : backends.names())
    if (auto why = backends.get(name).unavailable(); !why.empty()) log::info("VMM backend {}: {}", name, why);
}

std::unique_ptr<HostNetworks> unapplied_host_networks() { return std::make_unique<UnappliedHostNetworks>(); }

}  // namespace banger
