#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace banger {

// banger's table for wake-on-connect (issue 19), apart from the NAT and
// forward tables so that each is replaced on its own.
inline constexpr const char* wake_table_family = "ip";
inline constexpr const char* wake_table_name = "banger_wake";

// One suspended VM that a TCP connection wakes: to its address, or to one of
// its forwards' host ports on any of the host's own addresses.
struct WakeRule {
  std::string address;  // IPv4, no prefix
  std::vector<std::uint16_t> host_ports;  // TCP forwards; may be empty
};

// The nft script that makes the wake table hold exactly `rules`, as one batch,
// its chains flushed and refilled but never deleted (see the .cpp: a deleted
// base chain drops every held packet): the first segment of a connection (SYN without ACK) to a suspended VM
// goes to netfilter queue `queue_num`, where bangerd holds it while the VM
// starts (net/wake_queue.h). `bypass`: with nobody on the queue (bangerd not
// running) the packet goes on as if the rule were not there. At raw priority,
// before conntrack and the forwards' DNAT, so the SYN bangerd lets go meets the
// rules the started VM brought back. Validates every rule first (Error
// invalid_args), so no input adds nft syntax.
std::string wake_apply_script(const std::vector<WakeRule>& rules, std::uint16_t queue_num);

// Deletes the wake table whether it exists or not, in one batch: at start-up
// when no VM needs it (a killed bangerd's), and at shutdown once the queue is
// closed; never while bangerd may hold a packet.
std::string wake_remove_script();

}  // namespace banger
