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

namespace banger::net {

// Every banger tap's name starts with this; recovery finds them by it.
inline constexpr std::string_view tap_prefix = "bgt";

// "bgt" + the first 12 hex digits of the VM id (15 bytes, the kernel's limit).
// Throws invalid_args for an id that does not start with 12 lowercase hex digits.
std::string tap_name_for(std::string_view vm_id);
// Whether `name` has the form tap_name_for gives.
bool is_tap_name(std::string_view name);

// The guest's MAC: stable for the VM id, locally administered, unicast.
std::string mac_for(std::string_view vm_id);

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
