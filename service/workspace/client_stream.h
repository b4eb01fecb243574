#pragma once
#include <chrono>

#include "workspace/archives.h"

namespace banger::workspace {

// How long a workspace transfer waits for the caller's descriptor to give or
// take a byte. The caller holds the other end: without a limit, a client that
// stops (or never starts) reading or writing holds a transfer thread, and the
// VM's workspace lock, for as long as it likes.
inline constexpr std::chrono::seconds client_idle_timeout{60};

// The caller's descriptor as a source or sink for the tar streams, each read
// or write waiting at most `idle` for the descriptor to be ready; past it,
// Error(invalid_args) saying the stream stalled. The descriptor may be
// blocking (it is the caller's, shared with them): writes go in pieces no
// larger than what poll() promises a pipe takes at once.
ByteSource idle_limited_source(int fd, std::chrono::milliseconds idle);
ByteSink idle_limited_sink(int fd, std::chrono::milliseconds idle);

}  // namespace banger::workspace
