#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include <sdbus-c++/sdbus-c++.h>

#include "bus/bus_context.h"
#include "bus/caller.h"
#include "core/capability.h"
#include "core/vm.h"

namespace banger {

using CloneReply = sdbus::Result<sdbus::ObjectPath, sdbus::ObjectPath>;

// What VM.Clone and Snapshot.Clone share. polkit is asked in turn for the right
// to `source` (its owner's manage-own-vms, anyone else's manage-vms, with
// `source_details`: verb clone …), then, for a copy joining a network other
// than "default", for use-network (issue 17, extra B), then for create-vm; then,
// as an Operation (authorize_and_start_operation): `begin(uid)` commits the
// copy's record and returns its id, `finish(id, progress)` makes its resources.
void authorize_and_clone(BusContext& ctx, CloneReply&& result, const Caller& caller, const VmRecord& source,
                         std::map<std::string, std::string> source_details, const std::string& new_name,
                         std::function<std::string(std::uint32_t owner_uid)> begin,
                         std::function<void(const std::string& id, ProgressSink& progress)> finish);

}  // namespace banger
