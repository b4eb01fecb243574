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
  ctx.authorizer.check(caller, action, std::move(details), [&ctx, reply, work, keep_alive](std::exception_ptr denied) {
    if (denied) {
      reply->returnError(to_bus_error(denied));
      return;
    }
    ctx.pool.submit([&ctx, reply, work, keep_alive] {
      try {
        auto out = work();
        ctx.loop.post([reply, out, keep_alive] {
          std::apply([&](const auto&... v) { reply->returnResults(v...); }, out);
        });
      } catch (...) {
        auto failure = std::current_exception();
        ctx.loop.post([reply, failure] { reply->returnError(to_bus_error(failure)); });
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
