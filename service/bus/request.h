#pragma once
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include <sdbus-c++/MethodResult.h>

#include "bus/authorizer.h"
#include "bus/bus_context.h"
#include "bus/error_map.h"
#include "bus/event_loop.h"
#include "bus/operation_log.h"
#include "core/worker_pool.h"

namespace banger {

// The second half of every mutating method, after its arguments are read and
// validated: authorize (async, polkit) → run `work` on a worker → reply on the
// bus thread. `work` returns std::tuple<Out...>; whatever it throws becomes the
// D-Bus error. Domain events posted by `work` reach the bus before the reply.
// careful: sd-bus checks a reply's signature against the vtable of the object
// that received the call, so that object must outlive the reply: `keep_alive`
// holds it until the reply is sent (a Delete removes its own object).
template <typename... Out, typename Work>
void authorize_and_run(BusContext& ctx, sdbus::Result<Out...>&& result, const Caller& caller, const std::string& action,
                       std::map<std::string, std::string> details, Work work,
                       std::shared_ptr<void> keep_alive = nullptr) {
  // sdbus::Result is move-only; std::function needs copyable callables.
  auto reply = std::make_shared<sdbus::Result<Out...>>(std::move(result));
  auto call = std::make_shared<const OperationLog>(caller, details);
  ctx.authorizer.check(caller, action, std::move(details), [&ctx, reply, work, keep_alive, call](std::exception_ptr denied) {
    if (denied) {
      const auto e = to_bus_error(denied);
      call->finished(e.getName());
      reply->returnError(e);
      return;
    }
    // careful: the job hands `reply` and `keep_alive` to the bus thread (moves, not copies).
    // Whoever drops the last reference destroys the call's message or the bus object, which
    // touches the connection; on a worker that raced the bus thread and corrupted sd-bus's
    // object tree (found by the bus-concurrency test: a Delete's VmObject died on a worker).
    ctx.pool.submit([&ctx, reply, work, keep_alive, call]() mutable {
      try {
        auto out = work();
        call->finished("ok");
        ctx.loop.post([reply = std::move(reply), out, keep_alive = std::move(keep_alive)] {
          std::apply([&](const auto&... v) { reply->returnResults(v...); }, out);
        });
      } catch (...) {
        const auto e = to_bus_error(std::current_exception());
        call->finished(e.getName());
        ctx.loop.post([reply = std::move(reply), e, keep_alive = std::move(keep_alive)] { reply->returnError(e); });
      }
    });
  });
}

// Runs `parse` (validation of the arguments) and answers InvalidArgs & co.
// itself when it throws; returns false then.
template <typename... Out, typename Parse>
bool validated(sdbus::Result<Out...>& result, Parse parse) {
  try {
    parse();
    return true;
  } catch (...) {
    result.returnError(to_bus_error(std::current_exception()));
    return false;
  }
}

}  // namespace banger
