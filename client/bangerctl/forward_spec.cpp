#include "forward_spec.h"

#include <charconv>
#include <vector>

#include "banger/client.h"

namespace bangerctl {

namespace {

[[noreturn]] void bad(std::string_view text, const std::string& why) {
  throw banger::client::Error(banger::client::ErrorCode::usage, {},
                              "bad forward '" + std::string(text) + "': " + why + " (expected [tcp|udp:]HOST:GUEST)");
}

std::uint16_t port(std::string_view text, std::string_view part) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
  if (part.empty() || ec != std::errc() || end != part.data() + part.size() || value == 0 || value > 65535)
    bad(text, "'" + std::string(part) + "' is not a port (1..65535)");
  return static_cast<std::uint16_t>(value);
}

}  // namespace

ForwardSpec parse_forward_spec(std::string_view text) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const auto colon = text.find(':', start);
    parts.push_back(text.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  ForwardSpec spec;
  if (!parts.empty() && (parts.front() == "tcp" || parts.front() == "udp")) {
    spec.protocol = std::string(parts.front());
    parts.erase(parts.begin());
  }
  if (parts.empty() || parts.size() > 2) bad(text, "give a host port and a guest port");
  spec.host_port = port(text, parts[0]);
  if (parts.size() == 2) spec.guest_port = port(text, parts[1]);
  return spec;
}

}  // namespace bangerctl
