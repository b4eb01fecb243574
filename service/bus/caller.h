#pragma once
#include <sys/types.h>

#include <string>

namespace sdbus {
class Message;
}

namespace banger {

// Who sent the method call being handled, as the bus daemon vouches for it.
struct Caller {
  std::string bus_name;  // unique name, e.g. ":1.42" — the polkit subject
  uid_t uid = static_cast<uid_t>(-1);
  bool interactive = false;  // the call set ALLOW_INTERACTIVE_AUTHORIZATION
};

// Must run on the bus thread while `message` is being handled.
Caller caller_of(const sdbus::Message& message);

}  // namespace banger
