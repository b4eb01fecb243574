#pragma once
#include <fmt/format.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace banger::log {

// Journal fields of a record beyond MESSAGE and PRIORITY, e.g. {"BANGER_VM", "demo"}.
// Names follow journald's rules: upper case letters, digits and '_'.
using Fields = std::vector<std::pair<std::string, std::string>>;

// Where records go: journald's native protocol when bangerd's stderr is the
// journal's stream, else one line per record on stderr.
enum class Sink { stderr_lines, journal };

// journald sets $JOURNAL_STREAM to "<device>:<inode>" of the stream it gives a
// service; the documented test is that it matches stderr's (a redirected
// stderr no longer does). `journal_stream` may be null.
Sink sink_for(const char* journal_stream, int stderr_fd);

// The stderr form of a record: an sd-daemon priority prefix, the message, then
// the fields as NAME=value (quoted when they hold spaces).
std::string stderr_line(int priority, std::string_view message, const Fields& fields);

// How a record reaches journald's native protocol. The program gives it
// (host/journal.h's send_to_journal) so that the domain links no libsystemd;
// false: the journal did not take the record, which then goes to stderr.
using JournalWriter = bool (*)(int priority, std::string_view message, const Fields& fields);
// Set once at start, before any thread logs. Without one (the default), and
// when stderr is not the journal's stream, records go to stderr.
void use_journal(JournalWriter writer);

void write(int priority, std::string_view message, const Fields& fields = {});

template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  write(6, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  write(4, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  write(3, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace banger::log
