#pragma once
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/utf8.h"

namespace banger {

// Domain failures. The bus layer maps each kind to one D-Bus error name
// (service/bus/error_map.cpp); the domain never sees sdbus types.
enum class ErrorKind {
  no_such_vm,
  no_such_image,
  no_such_network,
  exists,
  ambiguous,
  invalid_state,
  busy,
  backend_failed,
  resource_exhausted,
  invalid_args,
  access_denied,
  interactive_authorization_required,
  not_supported,  // this bangerd was built or configured without what the call needs
  internal,
};

std::string_view to_string(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  // The message is made valid UTF-8 here, the one place every error's text is made: it
  // may carry what a guest, a VMM or a caller wrote (an SSH disconnect message, stderr,
  // console lines), and it becomes LastError, StateChanged reasons and D-Bus error
  // messages, which sd-bus refuses to send when they are not UTF-8 (issue 17, finding 7).
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(valid_utf8(message)), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

// A failure of anything but our own validation reaches the user as BackendFailed.
Error as_domain_error(std::exception_ptr failure);

}  // namespace banger
