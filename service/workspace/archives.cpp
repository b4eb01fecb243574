#include "workspace/archives.h"

#include <archive.h>
#include <archive_entry.h>

#include <cerrno>
#include <exception>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/utf8.h"
#include "workspace/client_stream.h"
#include "workspace/entry_rules.h"

namespace banger::workspace {

namespace {

constexpr std::size_t block_size = 64 * 1024;

// What a source or sink callback threw on this thread: libarchive's callbacks
// cannot throw through C, so they keep it here and report a failure.
thread_local std::exception_ptr callback_failure;

void rethrow_callback_failure() {
  if (auto failure = std::exchange(callback_failure, nullptr)) std::rethrow_exception(failure);
}

[[noreturn]] void fail_reading(archive* in, bool first) {
  rethrow_callback_failure();
  const char* why = archive_error_string(in);
  if (why == nullptr) why = "unknown error";
  // libarchive's messages may quote an entry's name, in whatever bytes the caller's archive has.
  if (first)
    throw Error(ErrorKind::invalid_args, fmt::format("the workspace stream is not a tar archive: {}", valid_utf8(why)));
  throw Error(ErrorKind::invalid_args, fmt::format("the workspace stream is damaged: {}", valid_utf8(why)));
}

[[noreturn]] void fail_writing(archive* out, std::string_view what) {
  rethrow_callback_failure();
  const int error = archive_errno(out);
  const char* why = archive_error_string(out);
  const std::string message = fmt::format("cannot write {}: {}", valid_utf8(what), valid_utf8(why != nullptr ? why : "unknown error"));
  throw Error(error == ENOSPC || error == EDQUOT ? ErrorKind::resource_exhausted : ErrorKind::backend_failed,
              message);
}

struct SourceState {
  ByteSource source;
  std::vector<char> buffer = std::vector<char>(block_size);
};

struct SinkState {
  ByteSink sink;
};

la_ssize_t read_source(archive* a, void* data, const void** buffer) {
  auto* state = static_cast<SourceState*>(data);
  try {
    *buffer = state->buffer.data();
    return static_cast<la_ssize_t>(state->source(state->buffer));
  } catch (...) {
    callback_failure = std::current_exception();
    archive_set_error(a, EIO, "the source failed");
    return -1;
  }
}

la_ssize_t write_sink(archive* a, void* data, const void* buffer, size_t length) {
  auto* state = static_cast<SinkState*>(data);
  try {
    state->sink({static_cast<const char*>(buffer), length});
    return static_cast<la_ssize_t>(length);
  } catch (...) {
    callback_failure = std::current_exception();
    archive_set_error(a, EIO, "the destination failed");
    return -1;
  }
}

int close_state(archive*, void* data) {
  delete static_cast<SourceState*>(data);
  return ARCHIVE_OK;
}

int close_sink_state(archive*, void* data) {
  delete static_cast<SinkState*>(data);
  return ARCHIVE_OK;
}

Archive new_tar_reader() {
  Archive in(archive_read_new());
  if (!in) throw Error(ErrorKind::internal, "libarchive cannot make a reader");
  archive_read_support_format_tar(in.get());
  return in;
}

Archive new_tar_writer() {
  Archive out(archive_write_new());
  if (!out) throw Error(ErrorKind::internal, "libarchive cannot make a writer");
  archive_write_set_format_pax_restricted(out.get());
  archive_write_set_bytes_per_block(out.get(), block_size);
  archive_write_set_bytes_in_last_block(out.get(), 1);  // no padding after the end marker
  return out;
}

}  // namespace

void ArchiveDeleter::operator()(archive* a) const noexcept {
  archive_free(a);
}

Archive tar_reader(int fd) { return tar_reader(idle_limited_source(fd, client_idle_timeout)); }

Archive tar_reader(ByteSource source) {
  auto in = new_tar_reader();
  auto* state = new SourceState{std::move(source), std::vector<char>(block_size)};
  if (archive_read_open(in.get(), state, nullptr, read_source, close_state) != ARCHIVE_OK) fail_reading(in.get(), true);
  return in;
}

Archive tar_writer(int fd) { return tar_writer(idle_limited_sink(fd, client_idle_timeout)); }

Archive tar_writer(ByteSink sink) {
  auto out = new_tar_writer();
  auto* state = new SinkState{std::move(sink)};
  if (archive_write_open(out.get(), state, nullptr, write_sink, close_sink_state) != ARCHIVE_OK)
    fail_writing(out.get(), "the tar stream");
  return out;
}

void copy_entries(archive* in, archive* out, const CopyHooks& hooks) {
  callback_failure = nullptr;
  EntryRules rules;
  std::uint64_t bytes = 0;
  bool first = true;
  std::vector<char> buffer(block_size);
  for (;;) {
    archive_entry* entry = nullptr;
    const int status = archive_read_next_header(in, &entry);
    if (status == ARCHIVE_EOF) break;
    if (status < ARCHIVE_WARN) fail_reading(in, first);
    first = false;
    if (!rules.admit(entry)) continue;
    if (hooks.keep && !hooks.keep(archive_entry_pathname(entry))) continue;
    if (archive_write_header(out, entry) < ARCHIVE_WARN)
      fail_writing(out, fmt::format("'{}'", archive_entry_pathname(entry)));
    if (archive_entry_size(entry) <= 0 || archive_entry_hardlink(entry) != nullptr) continue;
    // archive_read_data fills a sparse entry's holes, so the destination sees plain bytes.
    for (;;) {
      const la_ssize_t got = archive_read_data(in, buffer.data(), buffer.size());
      if (got == 0) break;
      if (got < 0) fail_reading(in, false);
      if (archive_write_data(out, buffer.data(), static_cast<size_t>(got)) < 0)
        fail_writing(out, fmt::format("'{}'", archive_entry_pathname(entry)));
      bytes += static_cast<std::uint64_t>(got);
      if (hooks.progress) hooks.progress(bytes);
    }
  }
  if (first) {
    // libarchive takes an empty stream for an empty archive; a workspace stream always has its end marker.
    if (archive_filter_bytes(in, -1) == 0)
      throw Error(ErrorKind::invalid_args, "the workspace stream is empty: not a tar archive");
  }
  if (archive_write_close(out) != ARCHIVE_OK) fail_writing(out, "the end of the tree");
}

}  // namespace banger::workspace
