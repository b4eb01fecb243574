#include "bus/vm_forward_methods.h"

#include "bus/request.h"
#include "core/port_forward.h"
#include "core/vm_guest_services.h"

namespace banger {

void forward_port(BusContext& ctx, sdbus::Result<>&& result, const Caller& caller, const std::string& action,
                  std::map<std::string, std::string> details, const std::string& vm_id, const std::string& protocol,
                  std::uint16_t host_port, std::uint16_t guest_port, std::shared_ptr<void> keep_alive) {
  if (!validated(result, [&] { validate_forward(protocol, host_port, guest_port); })) return;
  authorize_and_run(ctx, std::move(result), caller, action, std::move(details),
                    [&forwards = ctx.forwards, vm_id, protocol, host_port, guest_port] {
                      forwards.add(vm_id, protocol, host_port, guest_port);
                      return std::tuple<>();
                    },
                    std::move(keep_alive));
}

void remove_forward(BusContext& ctx, sdbus::Result<>&& result, const Caller& caller, const std::string& action,
                    std::map<std::string, std::string> details, const std::string& vm_id, const std::string& protocol,
                    std::uint16_t host_port, std::shared_ptr<void> keep_alive) {
  if (!validated(result, [&] { validate_forward_protocol(protocol); })) return;
  authorize_and_run(ctx, std::move(result), caller, action, std::move(details),
                    [&forwards = ctx.forwards, vm_id, protocol, host_port] {
                      forwards.remove(vm_id, protocol, host_port);
                      return std::tuple<>();
                    },
                    std::move(keep_alive));
}

}  // namespace banger
