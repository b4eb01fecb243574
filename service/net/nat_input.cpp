#include "net/nat_input.h"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cstdint>

#include "core/errors.h"

namespace banger {
namespace {

constexpr std::size_t max_interface_name = 15;  // IFNAMSIZ - 1

bool interface_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

[[noreturn]] void bad_subnet(std::string_view cidr, std::string_view why) {
  throw Error(ErrorKind::invalid_args, "invalid subnet '" + std::string(cidr) + "': " + std::string(why));
}

bool host_bits_clear(const unsigned char* address, std::size_t bytes, unsigned prefix) {
  for (std::size_t i = 0; i < bytes; ++i) {
    const unsigned bits_kept = prefix >= (i + 1) * 8 ? 8 : (prefix > i * 8 ? prefix - i * 8 : 0);
    const auto host_mask = static_cast<unsigned char>(0xffu >> bits_kept);
    if ((address[i] & host_mask) != 0) return false;
  }
  return true;
}

}  // namespace

void validate_interface_name(std::string_view name) {
  const auto bad = [&](std::string_view why) {
    throw Error(ErrorKind::invalid_args, "invalid interface name '" + std::string(name) + "': " + std::string(why));
  };
  if (name.empty()) bad("empty");
  if (name.size() > max_interface_name) bad("longer than 15 characters");
  if (name == "." || name == "..") bad("reserved");
  for (const char c : name) {
    if (!interface_char(c)) bad("only letters, digits, '_', '-' and '.' are allowed");
  }
}

Subnet parse_subnet(std::string_view cidr) {
  const auto slash = cidr.find('/');
  if (slash == std::string_view::npos) bad_subnet(cidr, "no prefix length");
  const std::string address_text(cidr.substr(0, slash));
  const std::string_view prefix_text = cidr.substr(slash + 1);

  unsigned prefix = 0;
  const auto [end, ec] = std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), prefix);
  if (prefix_text.empty() || ec != std::errc() || end != prefix_text.data() + prefix_text.size()) {
    bad_subnet(cidr, "prefix length is not a number");
  }

  Subnet subnet;
  std::array<unsigned char, 16> address{};
  std::size_t bytes = 4;
  if (inet_pton(AF_INET, address_text.c_str(), address.data()) != 1) {
    if (inet_pton(AF_INET6, address_text.c_str(), address.data()) != 1) bad_subnet(cidr, "not an IP address");
    subnet.ipv6 = true;
    bytes = 16;
  }
  if (prefix > bytes * 8) bad_subnet(cidr, "prefix length too large");
  if (!host_bits_clear(address.data(), bytes, prefix)) bad_subnet(cidr, "host bits are set");

  std::array<char, INET6_ADDRSTRLEN> text{};
  inet_ntop(subnet.ipv6 ? AF_INET6 : AF_INET, address.data(), text.data(), text.size());
  subnet.cidr = std::string(text.data()) + "/" + std::to_string(prefix);
  return subnet;
}

}  // namespace banger
