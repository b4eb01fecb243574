#pragma once
#include <chrono>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace banger {

// A minimal QEMU Machine Protocol client: one Unix socket connection, JSON
// messages one per line. Asynchronous events are skipped. Every failure
// throws Error(backend_failed) naming the command.
class QmpClient {
 public:
  // Connects (retrying until `connect_timeout`: QEMU creates the socket a
  // moment after it starts), reads the greeting and leaves capabilities
  // negotiation mode. Each answer may then take up to `reply_timeout`.
  QmpClient(const std::filesystem::path& socket, std::chrono::milliseconds connect_timeout,
            std::chrono::milliseconds reply_timeout);
  ~QmpClient();
  QmpClient(const QmpClient&) = delete;
  QmpClient& operator=(const QmpClient&) = delete;

  // Runs `command` and returns its "return" value; an "error" answer throws.
  nlohmann::json execute(const std::string& command, const nlohmann::json& arguments = nullptr);
  // The same, with `fd` attached to the command (SCM_RIGHTS): for "getfd",
  // which names a descriptor bangerd opened, so that QEMU, which may run as a
  // uid that could not open the file, is handed that file and nothing else.
  nlohmann::json execute_passing_fd(const std::string& command, const nlohmann::json& arguments, int fd);
  // query-status' "status": "running", "paused", "prelaunch", "internal-error" …
  std::string status();

 private:
  nlohmann::json read_message();
  nlohmann::json send_and_wait(const std::string& command, const nlohmann::json& arguments, int fd);

  int fd_ = -1;
  std::string buffer_;
  std::chrono::milliseconds timeout_;
};

}  // namespace banger
