#include "core/log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace banger::log {

Sink sink_for(const char* journal_stream, int stderr_fd) {
  if (journal_stream == nullptr) return Sink::stderr_lines;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(journal_stream, "%llu:%llu", &dev, &ino) != 2) return Sink::stderr_lines;
  struct stat st {};
  if (fstat(stderr_fd, &st) != 0) return Sink::stderr_lines;
  return st.st_dev == dev && st.st_ino == ino ? Sink::journal : Sink::stderr_lines;
}

std::string stderr_line(int priority, std::string_view message, const Fields& fields) {
  std::string line = fmt::format("<{}>{}", priority, message);
  for (const auto& [name, value] : fields) {
    const bool quote = value.empty() || value.find_first_of(" \t\"") != std::string::npos;
    if (quote) {
      std::string escaped;
      for (char c : value) escaped += c == '"' ? std::string("\\\"") : std::string(1, c);
      line += fmt::format(" {}=\"{}\"", name, escaped);
    } else {
      line += fmt::format(" {}={}", name, value);
    }
  }
  // One record, one line: an embedded newline would start a bogus record.
  for (char& c : line)
    if (c == '\n') c = ' ';
  return line;
}

namespace {

JournalWriter journal_writer = nullptr;

}  // namespace

void use_journal(JournalWriter writer) { journal_writer = writer; }

void write(int priority, std::string_view message, const Fields& fields) {
  static const Sink sink = sink_for(std::getenv("JOURNAL_STREAM"), STDERR_FILENO);
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  if (sink == Sink::journal && journal_writer != nullptr && journal_writer(priority, message, fields)) return;
  const auto line = stderr_line(priority, message, fields);
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

}  // namespace banger::log
