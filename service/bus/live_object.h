#pragma once
#include <exception>
#include <memory>

#include "bus/error_map.h"
#include "core/errors.h"

namespace banger {

// A bus object's reference to itself for a call in flight. sd-bus may still
// dispatch a call to an object whose last reference is gone while its destructor
// unregisters it (found by the D-Bus fuzz test: a call racing the VM's Delete);
// shared_from_this() would then throw std::bad_weak_ptr out of the event loop and
// end bangerd. Such a call is answered as for an object that no longer exists.
template <typename T>
std::shared_ptr<T> alive_or_gone(T& object, ErrorKind gone) {
  if (auto self = object.weak_from_this().lock()) return self;
  throw to_bus_error(std::make_exception_ptr(Error(gone, object.getObjectPath() + " is being removed")));
}

}  // namespace banger
