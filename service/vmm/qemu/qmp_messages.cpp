#include "vmm/qemu/qmp_messages.h"

#include <fmt/format.h>

#include "core/errors.h"
#include "core/utf8.h"

namespace banger {

namespace {

[[noreturn]] void fail(const std::string& message) { throw Error(ErrorKind::backend_failed, "qmp: " + message); }

}  // namespace

std::optional<nlohmann::json> take_qmp_message(std::string& buffer) {
  auto newline = buffer.find('\n');
  if (newline == std::string::npos) return std::nullopt;
  std::string line = buffer.substr(0, newline);
  buffer.erase(0, newline + 1);
  auto message = nlohmann::json::parse(line, nullptr, false);
  if (message.is_discarded() || !message.is_object()) fail("unreadable message: " + valid_utf8(line));
  return message;
}

std::optional<nlohmann::json> qmp_return_of(const nlohmann::json& message, const std::string& command) {
  if (auto answer = message.find("return"); answer != message.end()) return *answer;
  if (auto error = message.find("error"); error != message.end()) {
    // QEMU's errors are {"class": …, "desc": "…"}; anything else is shown whole.
    const auto desc = error->is_object() ? error->find("desc") : error->end();
    if (desc != error->end() && desc->is_string()) fail(fmt::format("{}: {}", command, desc->get<std::string>()));
    fail(fmt::format("{}: {}", command, error->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
  }
  return std::nullopt;
}

std::string qmp_status_of(const nlohmann::json& answer) {
  if (!answer.is_object()) fail("query-status: no status");
  auto status = answer.find("status");
  if (status == answer.end() || !status->is_string()) fail("query-status: no status");
  return status->get<std::string>();
}

QmpMigration qmp_migration_of(const nlohmann::json& answer) {
  if (!answer.is_object()) fail("query-migrate: not an object");
  QmpMigration migration;
  if (auto status = answer.find("status"); status != answer.end()) {
    if (!status->is_string()) fail("query-migrate: status is not a string");
    migration.status = status->get<std::string>();
  }
  if (auto error = answer.find("error-desc"); error != answer.end() && error->is_string())
    migration.error = valid_utf8(error->get<std::string>());
  return migration;
}

}  // namespace banger
