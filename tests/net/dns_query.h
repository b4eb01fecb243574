#pragma once
// A DNS A query over UDP to one server, with libresolv (tests only).
#include <string>
#include <vector>

namespace banger::test {

struct DnsAnswer {
  bool nxdomain = false;
  std::vector<std::string> addresses;  // the A records, in answer order
  std::string failure;                 // no answer at all (timeout, refused …)
};

// Asks `server` (IPv4, port 53) for `name`'s A records, once, 2 s at most.
DnsAnswer query_a(const std::string& server, const std::string& name);

}  // namespace banger::test
