#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <sdbus-c++/sdbus-c++.h>

#include "bus/bus_context.h"
#include "bus/caller.h"

namespace banger {

// VM.AddAuthorizedKeys and VM.RemoveAuthorizedKeys once VmObject has read the
// call: validate the lines or fingerprints → authorize under `action` → on a
// worker, change the keys under the VM's lock → reply. `keep_alive`: the VM's
// object, kept until the reply is sent (see authorize_and_run).
void add_authorized_keys(BusContext& ctx, sdbus::Result<>&& result, const Caller& caller, const std::string& action,
                         std::map<std::string, std::string> details, const std::string& vm_id,
                         const std::vector<std::string>& keys, std::shared_ptr<void> keep_alive);
void remove_authorized_keys(BusContext& ctx, sdbus::Result<>&& result, const Caller& caller,
                            const std::string& action, std::map<std::string, std::string> details,
                            const std::string& vm_id, const std::vector<std::string>& fingerprints,
                            std::shared_ptr<void> keep_alive);

}  // namespace banger
