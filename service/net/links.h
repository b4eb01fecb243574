#pragma once
// The host side of VM networking over rtnetlink (libnl-route-3): bridges and
// their addresses, link deletion, and a listing of the links there are. Every
// call acts in the calling thread's network namespace. Errors are
// banger::Error: invalid_args for bad names or a link of the wrong kind,
// backend_failed for what the kernel refused (with its reason).
#include <string>
#include <string_view>
#include <vector>

#include "core/ipv4.h"

namespace banger::net {

// Interface names as the kernel takes them: 1 to 15 bytes, no '/', ':' or
// whitespace, not "." or "..". Throws invalid_args otherwise.
void validate_link_name(std::string_view name);

// Makes `name` a bridge that is up and holds exactly `gateway` (e.g.
// 10.0.0.1/24) as its IPv4 address: creates it when missing (with a MAC of its
// own, so the gateway's MAC does not change as taps come and go), replaces any
// other IPv4 address. Idempotent. A link of another kind by that name is
// invalid_args.
void ensure_bridge(std::string_view name, Cidr gateway);

// Creates a bridge that is down and has no address. Unlike ensure_bridge an
// existing link of that name is an error (backend_failed, the kernel's "File
// exists"): a caller that makes a bridge only to delete it again must never
// delete someone else's.
void add_bridge(std::string_view name);

// Deletes the link; a missing one is fine (idempotent).
void delete_link(std::string_view name);

struct LinkInfo {
  std::string name;
  std::string kind;    // "bridge", "tun", ...; "" for none (loopback, physical)
  std::string master;  // the bridge it is attached to, "" for none
  bool up = false;     // administratively up (IFF_UP)
  std::string mac;     // "aa:bb:cc:dd:ee:ff", "" for none
  std::vector<Cidr> addresses;  // IPv4
};

std::vector<LinkInfo> list_links();

}  // namespace banger::net
