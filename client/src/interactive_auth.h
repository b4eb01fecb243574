#pragma once

#include <sdbus-c++/IConnection.h>

namespace banger::client::detail {

// Lets polkit prompt for a password on every later call of this connection,
// and raises the method-call timeout so a human has time to type it.
void allow_interactive_authorization(sdbus::IConnection& connection);

}  // namespace banger::client::detail
