// A workspace push: the caller's tar stream read by libarchive from memory,
// each entry checked by the workspace rules and written to a tar writer (the
// guest side), whose bytes are dropped.
#include <algorithm>
#include <cstring>

#include "fuzz_support.h"
#include "workspace/archives.h"

using namespace banger;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::size_t offset = 0;
  auto source = [&](std::span<char> buffer) {
    const std::size_t n = std::min(buffer.size(), size - offset);
    if (n > 0) std::memcpy(buffer.data(), data + offset, n);
    offset += n;
    return n;
  };
  fuzz::expect_result_or_dbus_safe_error([&] {
    auto in = workspace::tar_reader(source);
    auto out = workspace::tar_writer([](std::span<const char>) {});
    workspace::copy_entries(in.get(), out.get());
  });
  return 0;
}
