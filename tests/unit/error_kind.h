#pragma once
#include <functional>

#include <gtest/gtest.h>

#include "core/errors.h"

namespace banger::testing {

// The kind of the banger::Error `f` throws; a test failure when it throws none.
inline ErrorKind kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "expected an error";
  return ErrorKind::internal;
}

}  // namespace banger::testing
