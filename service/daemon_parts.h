#pragma once
#include <memory>

#include "config.h"
#include "core/host_networks.h"
#include "core/vmm_backends.h"
#include "daemon.h"

namespace banger {

// Every backend of the build; one whose binary is missing is still there, so
// its VMs stay manageable, but refuses new VMs (VmmBackend::unavailable). The
// default is the config's, "auto" choosing Firecracker where it is installed.
// Error(invalid_args) when the chosen backend is not in this build.
VmmBackends make_backends(const Config& config, DaemonExtensions& extensions);
// Logs why each backend that refuses new VMs does (VmmBackend::unavailable).
void log_unavailable_backends(const VmmBackends& backends);

// Without a host implementation (DaemonExtensions::host_networks) networks are
// records only.
std::unique_ptr<HostNetworks> unapplied_host_networks();

}  // namespace banger
