#pragma once
#include <map>
#include <string>

#include <sdbus-c++/sdbus-c++.h>

#include "bus/bus_context.h"
#include "bus/caller.h"

namespace banger {

// VM.PushWorkspace and VM.PullWorkspace once VmObject has read the call:
// validate the options → authorize under `action` → on a worker, hold the VM
// (Workspaces::begin, whose errors are the reply's) → reply with the Operation
// → copy, reporting on it. The descriptor is closed when the copy ends.
void push_workspace(BusContext& ctx, sdbus::Result<sdbus::ObjectPath>&& result, const Caller& caller,
                    const std::string& action, std::map<std::string, std::string> details, const std::string& vm_id,
                    sdbus::UnixFd archive, const std::map<std::string, sdbus::Variant>& options);
void pull_workspace(BusContext& ctx, sdbus::Result<sdbus::ObjectPath>&& result, const Caller& caller,
                    const std::string& action, std::map<std::string, std::string> details, const std::string& vm_id,
                    sdbus::UnixFd archive, const std::map<std::string, sdbus::Variant>& options);

}  // namespace banger
