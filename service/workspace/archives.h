#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

struct archive;

namespace banger::workspace {

struct ArchiveDeleter {
  void operator()(archive* a) const noexcept;
};
using Archive = std::unique_ptr<archive, ArchiveDeleter>;

// Reads up to the span's size into it; returns the count, 0 at the end. Throws on failure.
using ByteSource = std::function<std::size_t(std::span<char>)>;
// Writes all of the span or throws.
using ByteSink = std::function<void(std::span<const char>)>;

// An uncompressed tar reader (pax, ustar, GNU) of the descriptor (the
// caller's: idle-limited, client_stream.h), or of `source`.
Archive tar_reader(int fd);
Archive tar_reader(ByteSource source);
// A pax (restricted: plain ustar headers unless a name or size needs more) tar
// writer to the descriptor (the caller's: idle-limited), or to `sink`.
Archive tar_writer(int fd);
Archive tar_writer(ByteSink sink);
struct CopyHooks {
  std::function<void(std::uint64_t bytes)> progress;  // the payload bytes so far
  std::function<bool(std::string_view path)> keep;    // false: leave the (admitted) entry out
};

// Every entry of `in`, admitted by the workspace rules (entry_rules.h), written
// to `out`, which is closed at the end. Errors: invalid_args (not a tar, a
// damaged stream, an entry the rules refuse, naming it), resource_exhausted
// (the destination is full), backend_failed (anything else on the destination).
void copy_entries(archive* in, archive* out, const CopyHooks& hooks = {});

}  // namespace banger::workspace
