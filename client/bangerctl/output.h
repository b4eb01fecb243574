#pragma once
// How bangerctl prints VMs: aligned table, "Key: value" details, or JSON.

#include "banger/client.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace bangerctl {

// ordered_json keeps the keys in the documented order.
nlohmann::ordered_json to_json(const banger::client::VmInfo& vm);
// VM.Forwards as a JSON array of {protocol, host_port, guest_port}, and as "tcp 8080 → 80, …" ("-" for none).
nlohmann::ordered_json forwards_json(const std::vector<banger::client::PortForwardInfo>& forwards);
std::string format_forwards(const std::vector<banger::client::PortForwardInfo>& forwards);
nlohmann::ordered_json to_json(const std::vector<banger::client::VmInfo>& vms);
void print_json(const nlohmann::ordered_json& value);

void print_vm_table(std::ostream& out, const std::vector<banger::client::VmInfo>& vms);
// `image`: how to show the VM's image (its name and id when it still exists).
void print_vm_details(std::ostream& out, const banger::client::VmInfo& vm, const std::string& image);
// Columns aligned on the widest cell; the first row is the header.
void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows);

std::string format_memory(std::uint32_t mib);        // "512 MiB"
std::string format_local_time(std::uint64_t usec);   // ISO 8601 with offset, "-" for 0
std::string format_owner(std::uint32_t uid);         // "1000 (alice)"

}  // namespace bangerctl
