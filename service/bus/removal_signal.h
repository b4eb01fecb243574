#pragma once
#include <sdbus-c++/IObject.h>
#include <sdbus-c++/Error.h>

#include "core/log.h"

namespace banger {

// Emits InterfacesRemoved for an object about to go. sd-bus refuses it (ESRCH)
// when it finds no object manager above the path at that moment; the D-Bus
// fuzz test saw that once under a storm of lifecycle calls. A signal that could
// not be sent must not take bangerd down: this runs on the event loop and in
// destructors, where an escaping sdbus::Error terminates the daemon.
inline void announce_removed(sdbus::IObject& object) noexcept {
  try {
    object.emitInterfacesRemovedSignal();
  } catch (const sdbus::Error& e) {
    log::warn("cannot announce the removal of {}: {}: {}", object.getObjectPath(), e.getName(), e.getMessage());
  }
}

}  // namespace banger
