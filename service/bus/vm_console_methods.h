#pragma once
#include <map>
#include <memory>
#include <string>

#include <sdbus-c++/sdbus-c++.h>

#include "bus/bus_context.h"
#include "bus/caller.h"

namespace banger {

// VM.OpenConsole once VmObject has read the call: authorize under `action` →
// on a worker, under the VM's lock, require it running and connect to its
// console relay → reply with the connected socket. bangerd is not in the data
// path afterwards: the caller talks to the relay (and so the guest) directly.
void open_console(BusContext& ctx, sdbus::Result<sdbus::UnixFd>&& result, const Caller& caller,
                  const std::string& action, std::map<std::string, std::string> details, const std::string& vm_id,
                  std::shared_ptr<void> keep_alive);

}  // namespace banger
