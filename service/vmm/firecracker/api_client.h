#pragma once
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace banger {

struct ApiResponse {
  long status = 0;
  std::string body;
};

// One Firecracker API socket. Each request uses its own connection, so one
// client may be shared by threads and a hung request never blocks the next.
class FirecrackerApiClient {
 public:
  FirecrackerApiClient(std::filesystem::path socket, std::chrono::milliseconds timeout);

  // Sends `body` (if any) as JSON. A 2xx answer is returned; anything else,
  // and any transport failure or timeout, throws Error(backend_failed) as
  // "<METHOD> <path>: <status>: <fault_message>".
  ApiResponse request(std::string_view method, std::string_view path,
                      const std::optional<nlohmann::json>& body = std::nullopt) const;

  const std::filesystem::path& socket() const { return socket_; }

 private:
  std::filesystem::path socket_;
  std::chrono::milliseconds timeout_;
};

}  // namespace banger
