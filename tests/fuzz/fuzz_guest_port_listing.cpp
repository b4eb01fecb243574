// The guest's socket tables and process list, as the port poller reads them
// over SSH from a guest that may be hostile.
#include "fuzz_support.h"
#include "ports/guest_port_listing.h"

using namespace banger;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::expect_result_or_dbus_safe_error([&] {
    auto ports = parse_guest_port_listing(fuzz::as_text(data, size));
    for (const auto& port : ports) {
      if (port.port == 0) __builtin_trap();  // a socket without a local port is not listening
      if (!fuzz::is_utf8(port.process)) __builtin_trap();  // VM.Ports carries the name over D-Bus
    }
  });
  return 0;
}
