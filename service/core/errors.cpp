#include "core/errors.h"

namespace banger {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::no_such_vm: return "no-such-vm";
    case ErrorKind::no_such_image: return "no-such-image";
    case ErrorKind::no_such_network: return "no-such-network";
    case ErrorKind::exists: return "exists";
    case ErrorKind::ambiguous: return "ambiguous";
    case ErrorKind::invalid_state: return "invalid-state";
    case ErrorKind::busy: return "busy";
    case ErrorKind::backend_failed: return "backend-failed";
    case ErrorKind::resource_exhausted: return "resource-exhausted";
    case ErrorKind::invalid_args: return "invalid-args";
    case ErrorKind::access_denied: return "access-denied";
    case ErrorKind::interactive_authorization_required: return "interactive-authorization-required";
    case ErrorKind::not_supported: return "not-supported";
    case ErrorKind::internal: return "internal";
  }
  return "internal";
}

Error as_domain_error(std::exception_ptr failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const Error& e) {
    return e;
  } catch (const std::exception& e) {
    return Error(ErrorKind::backend_failed, e.what());
  } catch (...) {
    return Error(ErrorKind::backend_failed, "unknown failure");
  }
}

}  // namespace banger
