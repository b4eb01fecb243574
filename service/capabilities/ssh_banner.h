#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace banger {

struct SshBannerWait {
  bool answered = false;
  std::string banner;        // "SSH-2.0-dropbear_2022.83" when answered
  std::string last_failure;  // why the last attempt failed: "connection refused" …
  bool given_up = false;     // `give_up` said so before an answer came
  int attempts = 0;
};

// Waits until <address>:<port> accepts a TCP connection and sends an SSH
// identification line, connecting again after refusals, unreachable hosts,
// per-attempt timeouts and connections closed without one, until `deadline`
// or until `give_up` (asked before each attempt, when set) returns true.
// A booting guest refuses quickly, so retries come every 50 ms at most and an
// SSH server is noticed soon after it listens. Never throws for network
// failures; throws Error(invalid_args) for an address that is not numeric.
SshBannerWait wait_for_ssh_banner(const std::string& address, std::uint16_t port,
                                  std::chrono::steady_clock::time_point deadline,
                                  const std::function<bool()>& give_up = {});

}  // namespace banger
