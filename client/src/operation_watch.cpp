// Following an Operation to its end; see operation_watch.h.
#include "operation_watch.h"

#include "errors_internal.h"
#include "event_pump.h"

namespace banger::client::detail {

void follow_operation(sdbus::IConnection& connection, const std::string& op_path,
                      const ProgressCallback& progress, std::chrono::milliseconds timeout,
                      const std::string& what) {
  const auto deadline = deadline_after(timeout);

  // Subscribe before reading: the operation may finish at any moment, and a
  // Finished emitted before the match existed would be lost. The object
  // lingers after finishing, so reading Done afterwards closes that gap.
  OwnerWatch owner(connection);
  OperationWatch op(connection, op_path);
  op.apply(op.GetAll(bus::operation_interface));

  auto report = [&] {
    if (progress && op.progress_changed) progress(op.stage, op.progress);
    op.progress_changed = false;
  };
  op.progress_changed = true;
  report();

  const bool done = pump_until(
      connection, deadline, [&] { return op.done || owner.changed(); }, report);
  if (!done)
    throw timeout_error(
        what + (op.stage.empty() ? std::string() : " (stage: " + op.stage + ")"),
        timeout);
  if (!op.done)
    throw Error(ErrorCode::unreachable, {}, "bangerd left the bus while waiting for " + what);

  // Done may have arrived by PropertiesChanged before Error did; the lingering
  // object holds the final value.
  if (!op.finished_signal) op.apply(op.GetAll(bus::operation_interface));
  if (!op.error.empty()) throw from_operation_error(op.error);
}

}  // namespace banger::client::detail
