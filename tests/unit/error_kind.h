#pragma once
#include <functional>
#include <string>

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

// The message of the banger::Error `f` throws, which must be of `kind`; a
// test failure when it throws none or another kind.
inline std::string error_message_of(ErrorKind kind, const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected an error";
  return "";
}

}  // namespace banger::testing
