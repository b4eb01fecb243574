#pragma once
#include <exception>
#include <map>
#include <memory>
#include <string>

#include <sdbus-c++/sdbus-c++.h>

#include "banger/object_path.h"
#include "bus/authorizer.h"
#include "bus/bus_context.h"
#include "bus/error_map.h"
#include "bus/event_loop.h"
#include "bus/object_registry.h"
#include "bus/operation_log.h"
#include "core/worker_pool.h"

namespace banger {

// The second half of a method that answers at once with (target, operation)
// and goes on in the background (CreateVM, ImportImage): authorize (polkit) →
// on a worker, `begin()` (returns the target's object path; what it throws is
// the reply's error) → reply and export the Operation → `run(progress)` →
// Operation.Finished with what `run` threw, as "<error name>: <message>".
// Methods that answer with the operation alone (o) get just its path.
// `run_on`: the pool `run` goes to after the reply (default: the shared pool,
// where `begin` ran); workspace transfers take threads of their own there.
template <typename... Out, typename Begin, typename Run>
void authorize_and_start_operation(BusContext& ctx, sdbus::Result<Out...>&& result,
                                   const Caller& caller, const std::string& action,
                                   std::map<std::string, std::string> details, std::string kind, Begin begin,
                                   Run run, WorkerPool* run_on = nullptr) {
  auto reply = std::make_shared<sdbus::Result<Out...>>(std::move(result));
  auto call = std::make_shared<OperationLog>(caller, details);
  ctx.authorizer.check(caller, action, std::move(details), [&ctx, reply, kind, begin, run, call, run_on](std::exception_ptr denied) {
    if (denied) {
      const auto e = to_bus_error(denied);
      call->finished(e.getName());
      reply->returnError(e);
      return;
    }
    // careful: what the job holds (the reply, objects `begin` and `run` keep alive) goes to
    // the bus thread to be released there, never on the worker; see authorize_and_run.
    ctx.pool.submit([&ctx, reply, kind, begin, run, call, run_on]() mutable {
      std::string target;
      try {
        target = begin();
      } catch (...) {
        const auto e = to_bus_error(std::current_exception());
        call->finished(e.getName());
        ctx.loop.post([reply = std::move(reply), e, begin = std::move(begin), run = std::move(run)] {
          reply->returnError(e);
        });
        return;
      }
      call->set_target(target);
      // Objects begin() announced are already queued for export; the reply follows them.
      auto op = ctx.registry.reserve_operation();
      ctx.loop.post([&ctx, reply = std::move(reply), op, kind, target] {
        ctx.registry.add_operation(op, kind, target);
        if constexpr (sizeof...(Out) == 1)
          reply->returnResults(sdbus::ObjectPath(bus::operation_path(op)));
        else
          reply->returnResults(sdbus::ObjectPath(target), sdbus::ObjectPath(bus::operation_path(op)));
      });
      auto run_and_finish = [&ctx, op, call, begin = std::move(begin), run = std::move(run)]() mutable {
        OperationProgress progress(ctx, op);
        bool success = true;
        std::string error;
        try {
          run(progress);
        } catch (...) {
          success = false;
          const auto e = to_bus_error(std::current_exception());
          error = e.getName() + ": " + e.getMessage();
          call->finished(e.getName());
        }
        if (success) call->finished("ok");
        ctx.loop.post([&ctx, op, success, error, begin = std::move(begin), run = std::move(run)] {
          ctx.registry.finish_operation(op, success, error);
        });
      };
      if (run_on != nullptr)
        run_on->submit(std::move(run_and_finish));
      else
        run_and_finish();
    });
  });
}

}  // namespace banger
