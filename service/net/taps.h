#pragma once
// A VM's tap device: its name and guest MAC derived from the VM id, and the
// persistent tap itself, attached to the network's bridge. Firecracker and
// QEMU open the tap by name with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, so it is
// created with those flags; TUNSETOWNER lets a VMM that runs as another user
// (the jailer's uid) open it without CAP_NET_ADMIN.
#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/tap_names.h"

namespace banger::net {

// Creates the persistent tap `name` owned by `owner` (unless it exists),
// attaches it to `bridge` and brings it up. Safe on recovery: a tap that a
// running VMM holds open is left as it is apart from master and up. Throws
// invalid_args when `bridge` is missing or not a bridge, or `name` is taken by
// a link that is not a tap.
void create_tap(std::string_view name, uid_t owner, std::string_view bridge);

// Deletes the tap; a missing one is fine. Refuses (invalid_args) a link of another kind.
void delete_tap(std::string_view name);

// The names of banger's taps in this namespace (for recovery: those no VM claims go).
std::vector<std::string> list_taps();

}  // namespace banger::net
