#include "core/log.h"

#include <cstdio>
#include <mutex>

namespace banger::log {

void write(int priority, std::string_view message) {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  std::fprintf(stderr, "<%d>%.*s\n", priority, static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
}

}  // namespace banger::log
