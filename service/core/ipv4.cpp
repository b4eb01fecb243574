#include "core/ipv4.h"

#include <arpa/inet.h>

#include <charconv>
#include <string>

#include "core/errors.h"

namespace banger::net {

std::optional<Ipv4> parse_ipv4(std::string_view text) {
  // inet_pton takes exactly the dotted quad (no octal, no short forms).
  std::string copy(text);
  in_addr addr{};
  if (inet_pton(AF_INET, copy.c_str(), &addr) != 1) return std::nullopt;
  return ntohl(addr.s_addr);
}

std::string to_string_ipv4(Ipv4 address) {
  return std::to_string(address >> 24) + '.' + std::to_string((address >> 16) & 0xff) + '.' +
         std::to_string((address >> 8) & 0xff) + '.' + std::to_string(address & 0xff);
}

// A prefix over 32 (which the kernel refuses) gives the /32 mask, not a negative shift.
Ipv4 netmask(std::uint8_t prefix) { return prefix == 0 ? 0 : prefix >= 32 ? ~Ipv4{0} : ~Ipv4{0} << (32 - prefix); }

Ipv4 network_of(Cidr cidr) { return cidr.address & netmask(cidr.prefix); }

std::optional<Cidr> parse_cidr(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto address = parse_ipv4(text.substr(0, slash));
  auto digits = text.substr(slash + 1);
  unsigned prefix = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
  if (!address || digits.empty() || digits.size() > 2 || ec != std::errc{} ||
      end != digits.data() + digits.size() || prefix > 32)
    return std::nullopt;
  return Cidr{*address, static_cast<std::uint8_t>(prefix)};
}

std::string to_string(Cidr cidr) { return to_string_ipv4(cidr.address) + '/' + std::to_string(cidr.prefix); }

bool overlaps(Cidr a, Cidr b) {
  auto shorter = std::min(a.prefix, b.prefix);
  return (a.address & netmask(shorter)) == (b.address & netmask(shorter));
}

bool contains(Cidr subnet, Ipv4 address) { return (address & netmask(subnet.prefix)) == network_of(subnet); }

bool is_private(Cidr subnet) {
  for (auto range : {Cidr{0x0a000000, 8}, Cidr{0xac100000, 12}, Cidr{0xc0a80000, 16}})
    if (subnet.prefix >= range.prefix && contains(range, subnet.address)) return true;
  return false;
}

std::uint64_t size_of(Cidr subnet) { return std::uint64_t{1} << (32 - subnet.prefix); }

Ipv4 broadcast_of(Cidr subnet) { return network_of(subnet) | ~netmask(subnet.prefix); }

Cidr parse_network_subnet(std::string_view text) {
  auto invalid = [&](const std::string& why) {
    return Error(ErrorKind::invalid_args, "subnet '" + std::string(text) + "' " + why);
  };
  auto cidr = parse_cidr(text);
  if (!cidr) throw invalid("is not an IPv4 CIDR such as 10.0.0.0/24");
  if (cidr->prefix < min_network_prefix || cidr->prefix > max_network_prefix)
    throw invalid("must have a prefix length from /" + std::to_string(min_network_prefix) + " to /" +
                  std::to_string(max_network_prefix));
  if (network_of(*cidr) != cidr->address)
    throw invalid("has host bits set; the network is " + to_string(Cidr{network_of(*cidr), cidr->prefix}));
  if (!is_private(*cidr)) throw invalid("is not a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)");
  return *cidr;
}

Cidr gateway_of(Cidr subnet) { return Cidr{network_of(subnet) + 1, subnet.prefix}; }

}  // namespace banger::net
