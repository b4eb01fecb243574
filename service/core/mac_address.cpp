#include "core/mac_address.h"

#include <cstdint>
#include <cstdio>

namespace banger::net {

std::string stable_mac(std::string_view seed) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : seed) hash = (hash ^ c) * 0x100000001b3ull;
  unsigned char octets[6];
  for (int i = 0; i < 6; ++i) octets[i] = static_cast<unsigned char>(hash >> (8 * i));
  octets[0] = static_cast<unsigned char>((octets[0] & 0xfc) | 0x02);  // locally administered, unicast
  char text[18];
  std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", octets[0], octets[1], octets[2], octets[3],
                octets[4], octets[5]);
  return text;
}

}  // namespace banger::net
