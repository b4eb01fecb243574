#pragma once
#include <sdbus-c++/Message.h>
#include <systemd/sd-bus.h>

namespace banger {

// sdbus-c++ 1.2 exposes neither a message's header flags nor its bus. Its raw
// sd_bus_message is a protected member, which a derived class may name.
struct RawMessageAccess : sdbus::Message {
  static sd_bus_message* of(const sdbus::Message& m) {
    return static_cast<sd_bus_message*>(m.*(&RawMessageAccess::msg_));
  }
};

inline sd_bus_message* raw_message(const sdbus::Message& m) { return RawMessageAccess::of(m); }

}  // namespace banger
