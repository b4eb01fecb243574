#include "stats/counter_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <charconv>

namespace banger::stats {

std::optional<std::string> read_counter_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::array<char, 16384> buffer;
  std::size_t size = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data() + size, buffer.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    size += static_cast<std::size_t>(n);
    if (size == buffer.size()) break;
  }
  ::close(fd);
  if (size == 0) return std::nullopt;
  return std::string(buffer.data(), size);
}

std::optional<std::uint64_t> leading_number(std::string_view text) {
  const auto start = text.find_first_not_of(" \t");
  if (start == std::string_view::npos) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data() + start, text.data() + text.size(), value);
  if (error != std::errc() || end == text.data() + start) return std::nullopt;
  return value;
}

std::optional<std::uint64_t> keyed_number(std::string_view text, std::string_view key) {
  for (std::size_t at = 0; at < text.size();) {
    const auto eol = text.find('\n', at);
    const auto line = text.substr(at, eol == std::string_view::npos ? std::string_view::npos : eol - at);
    if (line.starts_with(key)) return leading_number(line.substr(key.size()));
    if (eol == std::string_view::npos) break;
    at = eol + 1;
  }
  return std::nullopt;
}

}  // namespace banger::stats
