#pragma once
// Turning sdbus-c++ and Operation errors into banger::client::Error. The
// mapping itself lives in error_codes.cpp, nowhere else.

#include "banger/client.h"

#include <sdbus-c++/Error.h>

#include <chrono>
#include <string>
#include <utility>

namespace banger::client::detail {

Error from_dbus(const sdbus::Error& error);

// Operation.Error / Finished(error) carry "<dbus error name>: <message>".
Error from_operation_error(const std::string& text);

// "timed out after 1.5 s waiting for <what>", with code failed.
Error timeout_error(const std::string& what, std::chrono::milliseconds timeout);

// Runs f, translating sdbus errors so none escape the library.
template <class F>
auto translate(F&& f) -> decltype(std::forward<F>(f)()) {
  try {
    return std::forward<F>(f)();
  } catch (const sdbus::Error& e) {
    throw from_dbus(e);
  }
}

}  // namespace banger::client::detail
