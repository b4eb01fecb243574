#pragma once
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace banger {

// What QEMU says over QMP, read apart from the socket so that every byte QEMU
// may send can be checked (and fuzzed) without a QEMU. Each failure throws
// Error(backend_failed) "qmp: …", never a JSON library exception.

// Takes the first complete line off `buffer` and returns it as a JSON object;
// nullopt while no whole line has arrived. A line that is not a JSON object
// is an error naming it.
std::optional<nlohmann::json> take_qmp_message(std::string& buffer);

// The answer `message` gives to `command`: its "return" value; nullopt for an
// asynchronous event (SHUTDOWN, STOP …), which the caller skips. An "error"
// answer throws with QEMU's "desc", else the error as JSON.
std::optional<nlohmann::json> qmp_return_of(const nlohmann::json& message, const std::string& command);

// query-status' "status": "running", "paused", "prelaunch", "internal-error" …
std::string qmp_status_of(const nlohmann::json& answer);

// query-migrate's answer: "status" ("none", "setup", "active", "completed",
// "failed", "cancelled" …; "" before any migration, when QEMU answers {}) and,
// for "failed", QEMU's reason ("error-desc", "" when it gives none).
struct QmpMigration {
  std::string status;
  std::string error;
};
QmpMigration qmp_migration_of(const nlohmann::json& answer);

}  // namespace banger
