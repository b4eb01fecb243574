// Wake-on-connect's parser of held packets (net/wake_packet.h): they come
// from the guests' networks, so any bytes at all. A parsed target must come
// from within the packet: a SYN's header lies within what was read.
#include <cstdlib>

#include "net/wake_packet.h"

using namespace banger;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A copy of exactly `size` bytes, so ASan sees any read past the end.
  auto* packet = static_cast<std::uint8_t*>(std::malloc(size == 0 ? 1 : size));
  for (std::size_t i = 0; i < size; ++i) packet[i] = data[i];
  if (const auto target = parse_tcp_syn(std::span<const std::uint8_t>(packet, size))) {
    if (size < 34 || (packet[0] >> 4) != 4) std::abort();
  }
  std::free(packet);
  return 0;
}
