#pragma once
#include <string>
#include <string_view>

namespace banger {

// What Firecracker's API answers, read apart from the HTTP transport so that
// every body the VMM may send can be checked (and fuzzed) without a VMM.
// Neither throws: an answer that is not what the API spec promises is
// reported as well as it can be, never as a JSON library exception.

// The "fault_message" of an error body ({"fault_message": "..."}); the raw body
// when it has none, so that nothing the VMM said is lost; "no details" for none.
std::string firecracker_fault_message(std::string_view body);

// True when GET / (InstanceInfo) says "state": "Paused"; false for any other
// state and for a body that is not InstanceInfo.
bool firecracker_reports_paused(std::string_view instance_info);

}  // namespace banger
