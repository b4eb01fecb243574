#include "bus/error_map.h"

#include "banger/bus_errors.h"
#include "core/errors.h"
#include "core/log.h"

namespace banger {

namespace {

const char* name_of(ErrorKind kind) {
  namespace e = bus::error;
  switch (kind) {
    case ErrorKind::no_such_vm: return e::no_such_vm;
    case ErrorKind::no_such_image: return e::no_such_image;
    case ErrorKind::no_such_network: return e::no_such_network;
    case ErrorKind::exists: return e::exists;
    case ErrorKind::ambiguous: return e::ambiguous;
    case ErrorKind::invalid_state: return e::invalid_state;
    case ErrorKind::busy: return e::busy;
    case ErrorKind::backend_failed: return e::backend_failed;
    case ErrorKind::resource_exhausted: return e::resource_exhausted;
    case ErrorKind::invalid_args: return e::invalid_args;
    case ErrorKind::access_denied: return e::access_denied;
    case ErrorKind::interactive_authorization_required: return e::interactive_authorization_required;
    case ErrorKind::not_supported: return e::not_supported;
    case ErrorKind::internal: return e::failed;
  }
  return e::failed;
}

}  // namespace

sdbus::Error to_bus_error(std::exception_ptr failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const Error& e) {
    return sdbus::Error(name_of(e.kind()), e.what());
  } catch (const sdbus::Error& e) {
    return e;
  } catch (const std::exception& e) {
    log::error("unexpected failure: {}", e.what());
    return sdbus::Error(bus::error::failed, std::string("internal error: ") + e.what());
  } catch (...) {
    return sdbus::Error(bus::error::failed, "internal error");
  }
}

}  // namespace banger
