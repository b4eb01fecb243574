#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace banger {

// IPv4 addresses as host-order integers, and subnets in CIDR form.
std::optional<std::uint32_t> parse_ipv4(std::string_view text);
std::string format_ipv4(std::uint32_t address);

struct Ipv4Subnet {
  std::uint32_t network = 0;  // host bits zero
  int prefix = 0;             // 0..32

  std::uint64_t size() const { return std::uint64_t{1} << (32 - prefix); }
  std::uint32_t broadcast() const { return network + static_cast<std::uint32_t>(size() - 1); }
  std::uint32_t gateway() const { return network + 1; }  // the first host
  bool contains(std::uint32_t address) const { return address - network < size(); }
  bool overlaps(const Ipv4Subnet& other) const { return contains(other.network) || other.contains(network); }
  std::string to_string() const;
  bool operator==(const Ipv4Subnet&) const = default;
};

// "a.b.c.d/n" with host bits zero; nullopt for anything else.
std::optional<Ipv4Subnet> parse_ipv4_subnet(std::string_view text);

}  // namespace banger
