#pragma once
#include <string>

#include "core/unique_fd.h"

namespace banger {

struct Pty {
  UniqueFd master;  // non-blocking
  UniqueFd slave;   // kept open by the relay, so the master never sees a hangup
  std::string slave_path;
};

// A new pty in raw mode (no echo, no line editing, no signals, no CR/NL
// translation: the guest's bytes pass untouched). Neither side becomes the
// caller's controlling terminal. Throws Error(backend_failed).
Pty open_raw_pty();

}  // namespace banger
