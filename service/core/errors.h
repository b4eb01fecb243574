#pragma once
#include <stdexcept>
#include <string>
#include <string_view>

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
  internal,
};

std::string_view to_string(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

}  // namespace banger
