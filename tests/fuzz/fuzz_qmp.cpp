// QMP as QEMU sends it: a stream of lines, each a greeting, an answer, an
// error or an event, cut anywhere.
#include <string>

#include "fuzz_support.h"
#include "vmm/qemu/qmp_messages.h"

using namespace banger;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string buffer(fuzz::as_text(data, size));
  for (;;) {
    std::optional<nlohmann::json> message;
    const std::size_t before = buffer.size();
    try {
      message = take_qmp_message(buffer);
    } catch (const Error& e) {
      if (!fuzz::is_utf8(e.what())) __builtin_trap();  // StartVM & co. pass it on in their error
      continue;  // an unreadable line is dropped from the buffer, the next one read
    }
    if (!message) break;
    if (buffer.size() >= before) __builtin_trap();  // every message read consumes its line
    fuzz::expect_result_or_dbus_safe_error([&] {
      if (auto answer = qmp_return_of(*message, "query-status")) qmp_status_of(*answer);
    });
    // query-migrate's answer (issue 19): its status and error reach LastError on a failed save or load.
    fuzz::expect_result_or_dbus_safe_error([&] {
      if (auto answer = qmp_return_of(*message, "query-migrate")) {
        const auto migration = qmp_migration_of(*answer);
        if (!fuzz::is_utf8(migration.error) || !fuzz::is_utf8(migration.status)) __builtin_trap();
      }
    });
  }
  return 0;
}
