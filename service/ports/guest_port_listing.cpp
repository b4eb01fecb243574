#include "ports/guest_port_listing.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <tuple>

#include "core/errors.h"
#include "core/utf8.h"

namespace banger {

const char* const guest_port_listing_command =
    "cd /proc && grep -H . net/tcp net/tcp6 net/udp net/udp6 [0-9]*/comm 2>/dev/null;"
    " ls -l [0-9]*/fd 2>/dev/null; echo banger-ports-end";

namespace {

constexpr std::string_view end_marker = "banger-ports-end";
constexpr std::string_view tcp_listen = "0A";
constexpr std::string_view udp_unconnected = "07";  // TCP_CLOSE: bound, no peer

struct Table {
  std::string_view prefix;  // as grep -H prints it
  const char* protocol;
  bool v6;
};
constexpr std::array tables{Table{"net/tcp:", "tcp", false}, Table{"net/tcp6:", "tcp", true},
                            Table{"net/udp:", "udp", false}, Table{"net/udp6:", "udp", true}};

struct Listener {
  std::string protocol;
  std::uint16_t port = 0;
  std::uint64_t inode = 0;
};

template <typename T>
std::optional<T> number(std::string_view text, int base) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t at = 0;
  while ((at = line.find_first_not_of(' ', at)) != std::string_view::npos) {
    const auto end = std::min(line.find(' ', at), line.size());
    out.push_back(line.substr(at, end - at));
    at = end;
  }
  return out;
}

// The kernel prints an address as 32-bit words in the guest's byte order;
// banger's guests (x86-64, aarch64) are little-endian, so each word's bytes
// come low byte first.
std::optional<std::vector<std::uint8_t>> address_bytes(std::string_view hex) {
  if (hex.size() != 8 && hex.size() != 32) return std::nullopt;
  std::vector<std::uint8_t> bytes;
  for (std::size_t word = 0; word < hex.size(); word += 8) {
    auto value = number<std::uint32_t>(hex.substr(word, 8), 16);
    if (!value) return std::nullopt;
    for (int shift = 0; shift < 32; shift += 8) bytes.push_back(static_cast<std::uint8_t>(*value >> shift));
  }
  return bytes;
}

bool is_loopback(const std::vector<std::uint8_t>& a) {
  if (a.size() == 4) return a[0] == 127;
  const bool zero_prefix = std::all_of(a.begin(), a.begin() + 10, [](std::uint8_t b) { return b == 0; });
  if (zero_prefix && a[10] == 0xff && a[11] == 0xff) return a[12] == 127;  // ::ffff:127.x.y.z
  return zero_prefix && a[10] == 0 && a[11] == 0 && a[12] == 0 && a[13] == 0 && a[14] == 0 && a[15] == 1;
}

// "   1: 00000000:1F90 00000000:0000 0A … inode …": a listener reachable from outside, or nullopt.
std::optional<Listener> listener_of(const Table& table, std::string_view line) {
  const auto f = fields(line);
  if (f.size() < 10 || f[0].back() != ':') return std::nullopt;  // the header, or a line cut short
  if (f[3] != (table.protocol == std::string_view("tcp") ? tcp_listen : udp_unconnected)) return std::nullopt;
  const auto colon = f[1].find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const auto address = address_bytes(f[1].substr(0, colon));
  const auto port = number<std::uint16_t>(f[1].substr(colon + 1), 16);
  const auto inode = number<std::uint64_t>(f[9], 10);
  if (!address || address->size() != (table.v6 ? 16u : 4u) || !port || *port == 0 || !inode) return std::nullopt;
  if (is_loopback(*address)) return std::nullopt;
  return Listener{table.protocol, *port, *inode};
}

// At most guest_port_process_max bytes of valid UTF-8, never half a character.
std::string process_name(std::string_view raw) {
  std::string name = valid_utf8(raw.substr(0, guest_port_process_max + 4));
  if (name.size() <= guest_port_process_max) return name;
  std::size_t cut = guest_port_process_max;
  while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;  // a continuation byte
  name.resize(cut);
  return name;
}

// "<pid>/<rest>" → pid, when the line starts so.
std::optional<std::uint32_t> pid_before(std::string_view line, std::string_view rest) {
  const auto slash = line.find('/');
  if (slash == std::string_view::npos || line.substr(slash, rest.size()) != rest) return std::nullopt;
  return number<std::uint32_t>(line.substr(0, slash), 10);
}

}  // namespace

std::vector<GuestPort> parse_guest_port_listing(std::string_view listing) {
  std::vector<Listener> listeners;
  std::map<std::uint32_t, std::string> names;     // pid → comm
  std::map<std::uint64_t, std::uint32_t> holders;  // socket inode → lowest pid holding it
  std::optional<std::uint32_t> fd_dir;            // the pid whose descriptors ls lists
  bool ended = false;
  std::size_t at = 0;
  while (at < listing.size()) {
    auto end = listing.find('\n', at);
    if (end == std::string_view::npos) end = listing.size();
    const auto line = listing.substr(at, end - at);
    at = end + 1;
    if (line.empty()) continue;
    if (line == end_marker) {
      ended = true;
      continue;
    }
    ended = false;
    bool socket_line = false;
    for (const auto& table : tables) {
      if (!line.starts_with(table.prefix)) continue;
      socket_line = true;
      if (auto l = listener_of(table, line.substr(table.prefix.size()))) listeners.push_back(*l);
    }
    if (socket_line) continue;
    if (auto pid = pid_before(line, "/comm:")) {
      names[*pid] = process_name(line.substr(line.find(':') + 1));  // a guest may name a process in any bytes
    } else if (auto dir = pid_before(line, "/fd:"); dir && line.size() == line.find(':') + 1) {
      fd_dir = dir;
    } else if (auto socket = line.find("-> socket:["); socket != std::string_view::npos && fd_dir) {
      const auto digits = line.substr(socket + 11);
      if (auto inode = number<std::uint64_t>(digits.substr(0, digits.find(']')), 10)) {
        auto [it, added] = holders.emplace(*inode, *fd_dir);
        it->second = std::min(it->second, *fd_dir);
      }
    }
  }
  if (!ended) throw Error(ErrorKind::backend_failed, "the guest's port listing ended early");

  // (protocol, port) → the lowest pid holding any of its sockets.
  constexpr auto unknown = std::numeric_limits<std::uint32_t>::max();
  std::map<std::tuple<std::string, std::uint16_t>, std::uint32_t> ports;
  for (const auto& l : listeners) {
    auto holder = holders.find(l.inode);
    auto [it, added] = ports.emplace(std::tuple(l.protocol, l.port), unknown);
    if (holder != holders.end()) it->second = std::min(it->second, holder->second);
  }
  std::vector<GuestPort> out;
  out.reserve(std::min(ports.size(), guest_ports_max));
  for (const auto& [key, pid] : ports) {
    if (out.size() == guest_ports_max) break;  // the lowest (protocol, port)s: a stable choice from poll to poll
    auto name = names.find(pid);
    out.push_back({std::get<0>(key), std::get<1>(key), name == names.end() ? std::string() : name->second});
  }
  return out;  // the map's order is (protocol, port), which is GuestPort's order too
}

}  // namespace banger
