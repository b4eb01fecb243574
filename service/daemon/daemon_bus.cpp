#include "daemon/daemon_bus.h"

#include <sdbus-c++/sdbus-c++.h>

namespace banger {

DaemonBus::DaemonBus(const Config& config)
    : connection(sdbus::createSystemBusConnection()), registry(loop, config.operation_linger) {}

}  // namespace banger
