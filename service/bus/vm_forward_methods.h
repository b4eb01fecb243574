#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <sdbus-c++/sdbus-c++.h>

#include "bus/bus_context.h"
#include "bus/caller.h"
#include "core/port_forward.h"

namespace banger {

// VM.ForwardPort and VM.RemoveForward once VmObject has read the call:
// validate → authorize under `action` → on a worker, under the VM's lock,
// change the forwards (PortForwards) → reply. `keep_alive`: the VM object.
void forward_port(BusContext& ctx, sdbus::Result<>&& result, const Caller& caller, const std::string& action,
                  std::map<std::string, std::string> details, const std::string& vm_id, const std::string& protocol,
                  std::uint16_t host_port, std::uint16_t guest_port, std::shared_ptr<void> keep_alive);
void remove_forward(BusContext& ctx, sdbus::Result<>&& result, const Caller& caller, const std::string& action,
                    std::map<std::string, std::string> details, const std::string& vm_id, const std::string& protocol,
                    std::uint16_t host_port, std::shared_ptr<void> keep_alive);

}  // namespace banger
