#include "core/network_address.h"

#include <charconv>

#include <fmt/format.h>

namespace banger {

namespace {

// A decimal number without sign, leading zeros or trailing junk, at most `max`.
std::optional<std::uint32_t> parse_number(std::string_view text, std::uint32_t max) {
  if (text.empty() || text.size() > 3 || (text.size() > 1 && text.front() == '0')) return std::nullopt;
  std::uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::uint32_t> parse_ipv4(std::string_view text) {
  std::uint32_t address = 0;
  for (int i = 0; i < 4; ++i) {
    const auto dot = text.find('.');
    if ((i < 3) == (dot == std::string_view::npos)) return std::nullopt;
    auto octet = parse_number(text.substr(0, dot), 255);
    if (!octet) return std::nullopt;
    address = (address << 8) | *octet;
    text = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  }
  return address;
}

std::string format_ipv4(std::uint32_t a) {
  return fmt::format("{}.{}.{}.{}", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

std::string Ipv4Subnet::to_string() const { return format_ipv4(network) + "/" + std::to_string(prefix); }

std::optional<Ipv4Subnet> parse_ipv4_subnet(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto address = parse_ipv4(text.substr(0, slash));
  auto prefix = parse_number(text.substr(slash + 1), 32);
  if (!address || !prefix) return std::nullopt;
  Ipv4Subnet subnet{*address, static_cast<int>(*prefix)};
  if ((*address & (subnet.size() - 1)) != 0) return std::nullopt;  // host bits set
  return subnet;
}

}  // namespace banger
