#pragma once
// dev.banger.banger1.Operation's properties: one line each, in the XML's order.

#include <string>

#include "bus/property_table.h"
#include "dev.banger.banger1.Operation_properties.h"

namespace banger {

// What an Operation object shows.
struct OperationShown {
  std::string kind;
  std::string target;  // an object path
  std::string stage = "queued";
  double progress = 0.0;
  bool done = false;
  std::string error;
};

namespace properties::Operation {

inline constexpr auto table = property_table<OperationShown>(
    line<Kind>([](const OperationShown& o) -> auto& { return o.kind; }),
    line<Target>([](const OperationShown& o) -> auto& { return o.target; }),
    line<Stage>([](const OperationShown& o) -> auto& { return o.stage; }),
    line<Progress>([](const OperationShown& o) { return o.progress; }),
    line<Done>([](const OperationShown& o) { return o.done; }),
    line<Error>([](const OperationShown& o) -> auto& { return o.error; }));

static_assert(covers_exactly<decltype(table), All>, "one line per property of the Operation XML, in its order");

}  // namespace properties::Operation
}  // namespace banger
