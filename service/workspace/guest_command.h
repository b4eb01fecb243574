#pragma once
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

struct ssh_session_struct;
struct ssh_channel_struct;

namespace banger::workspace {

// One shell command in the guest on an SSH exec channel of `session`: its
// stdin and stdout are byte streams, its stderr is kept for the error.
class GuestCommand {
 public:
  GuestCommand(ssh_session_struct* session, const std::string& command);
  ~GuestCommand();
  GuestCommand(const GuestCommand&) = delete;
  GuestCommand& operator=(const GuestCommand&) = delete;

  // All of `data` to the command's stdin; Error(backend_failed) when the channel fails.
  void write(std::span<const char> data);
  // Up to the span's size from its stdout; 0 at its end.
  std::size_t read(std::span<char> data);
  // Closes stdin, drains the output and waits for the exit status.
  int finish();
  const std::string& errors() const { return errors_; }

 private:
  void drain_errors();

  ssh_session_struct* session_;
  ssh_channel_struct* channel_ = nullptr;
  std::string errors_;
  bool finished_ = false;
  int status_ = -1;
};

// `text` as one single-quoted word for the guest's sh.
std::string shell_quoted(std::string_view text);

}  // namespace banger::workspace
