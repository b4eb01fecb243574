#include "bus/clone_request.h"

#include <memory>

#include "banger/bus_names.h"
#include "banger/object_path.h"
#include "bus/error_map.h"
#include "bus/operation_request.h"
#include "core/network.h"

namespace banger {

void authorize_and_clone(BusContext& ctx, CloneReply&& result, const Caller& caller, const VmRecord& source,
                         std::map<std::string, std::string> source_details, const std::string& new_name,
                         std::function<std::string(std::uint32_t owner_uid)> begin,
                         std::function<void(const std::string& id, ProgressSink& progress)> finish) {
  auto create = [&ctx, caller, new_name, begin, finish](CloneReply&& reply) {
    auto id = std::make_shared<std::string>();
    authorize_and_start_operation(
        ctx, std::move(reply), caller, bus::action::create_vm, {{"vm", new_name}, {"verb", "clone"}}, "clone-vm",
        [uid = caller.uid, id, begin] {
          *id = begin(uid);
          return bus::vm_path(*id);
        },
        [id, finish](ProgressSink& progress) { finish(*id, progress); });
  };
  // The copy joins the source's network: a network other than "default" needs
  // use-network for the copy, as CreateVM asks it.
  auto network_then_create = [&ctx, caller, network = source.network, new_name, create](CloneReply&& reply) {
    if (network.empty() || network == default_network_name) {
      create(std::move(reply));
      return;
    }
    auto held = std::make_shared<CloneReply>(std::move(reply));
    ctx.authorizer.check(caller, bus::action::use_network, {{"network", network}, {"vm", new_name}},
                         [held, create](std::exception_ptr denied) {
                           if (denied)
                             held->returnError(to_bus_error(denied));
                           else
                             create(std::move(*held));
                         });
  };
  // First the right to the source (as for its other verbs), then to its network, then to create one.
  const char* action = caller.uid == source.owner_uid ? bus::action::manage_own_vms : bus::action::manage_vms;
  auto reply = std::make_shared<CloneReply>(std::move(result));
  ctx.authorizer.check(caller, action, std::move(source_details),
                       [reply, network_then_create](std::exception_ptr denied) {
                         if (denied)
                           reply->returnError(to_bus_error(denied));
                         else
                           network_then_create(std::move(*reply));
                       });
}

}  // namespace banger
