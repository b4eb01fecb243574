#include "workspace/guest_command.h"

#include <libssh/libssh.h>

#include <fmt/format.h>

#include "core/errors.h"

namespace banger::workspace {

namespace {

[[noreturn]] void channel_failed(ssh_session_struct* session, std::string_view what) {
  throw Error(ErrorKind::backend_failed, fmt::format("SSH to the guest failed ({}): {}", what, ssh_get_error(session)));
}

}  // namespace

GuestCommand::GuestCommand(ssh_session_struct* session, const std::string& command) : session_(session) {
  channel_ = ssh_channel_new(session);
  if (channel_ == nullptr) channel_failed(session, "new channel");
  if (ssh_channel_open_session(channel_) != SSH_OK) {
    ssh_channel_free(channel_);
    channel_failed(session, "open channel");
  }
  if (ssh_channel_request_exec(channel_, command.c_str()) != SSH_OK) {
    ssh_channel_close(channel_);
    ssh_channel_free(channel_);
    channel_failed(session, "exec");
  }
}

GuestCommand::~GuestCommand() {
  ssh_channel_close(channel_);
  ssh_channel_free(channel_);
}

void GuestCommand::write(std::span<const char> data) {
  while (!data.empty()) {
    const int wrote = ssh_channel_write(channel_, data.data(), static_cast<uint32_t>(data.size()));
    if (wrote <= 0) {
      drain_errors();
      if (errors_.find("No space left") != std::string::npos)
        throw Error(ErrorKind::resource_exhausted, fmt::format("the guest's work disk is full: {}", errors_));
      channel_failed(session_, "write");
    }
    data = data.subspan(static_cast<std::size_t>(wrote));
  }
}

std::size_t GuestCommand::read(std::span<char> data) {
  const int got = ssh_channel_read(channel_, data.data(), static_cast<uint32_t>(data.size()), 0);
  if (got < 0) channel_failed(session_, "read");
  return static_cast<std::size_t>(got);
}

void GuestCommand::drain_errors() {
  char buffer[4096];
  for (;;) {
    const int got = ssh_channel_read_nonblocking(channel_, buffer, sizeof buffer, 1);
    if (got <= 0) break;
    if (errors_.size() < 64 * 1024) errors_.append(buffer, static_cast<std::size_t>(got));
  }
}

int GuestCommand::finish() {
  if (finished_) return status_;
  finished_ = true;
  if (ssh_channel_is_open(channel_)) ssh_channel_send_eof(channel_);
  char buffer[16 * 1024];
  for (int stream : {0, 1}) {
    for (;;) {
      const int got = ssh_channel_read(channel_, buffer, sizeof buffer, stream);
      if (got <= 0) break;
      if (stream == 1 && errors_.size() < 64 * 1024) errors_.append(buffer, static_cast<std::size_t>(got));
    }
  }
  status_ = ssh_channel_get_exit_status(channel_);
  return status_;
}

std::string shell_quoted(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

}  // namespace banger::workspace
