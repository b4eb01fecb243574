#include "bus/vm_forward_methods.h"

#include "bus/request.h"
#include "capabilities/port_forwards.h"
#include "core/vm_manager.h"

namespace banger {

namespace {

// Asked only once polkit said yes (inside the work), so an unauthorized caller
// learns nothing about this bangerd and the authorization matrix holds for
// every build.
PortForwards& supported(PortForwards* forwards) {
  if (forwards == nullptr)
    throw sdbus::Error("org.freedesktop.DBus.Error.NotSupported", "this bangerd has no port forwarding");
  return *forwards;
}

}  // namespace

BusForwards to_bus_forwards(const std::vector<PortForward>& forwards) {
  BusForwards out;
  out.reserve(forwards.size());
  for (const auto& f : forwards) out.emplace_back(f.protocol, f.host_port, f.guest_port);
  return out;
}

void forward_port(BusContext& ctx, sdbus::Result<>&& result, const Caller& caller, const std::string& action,
                  std::map<std::string, std::string> details, const std::string& vm_id, const std::string& protocol,
                  std::uint16_t host_port, std::uint16_t guest_port, std::shared_ptr<void> keep_alive) {
  if (!validated(result, [&] { validate_forward(protocol, host_port, guest_port); })) return;
  authorize_and_run(ctx, std::move(result), caller, action, std::move(details),
                    [&vms = ctx.vms, forwards = ctx.forwards, vm_id, protocol, host_port, guest_port] {
                      auto& to = supported(forwards);
                      vms.inspect(vm_id, [&](const VmRecord& vm) { to.add(vm, protocol, host_port, guest_port); });
                      return std::tuple<>();
                    },
                    std::move(keep_alive));
}

void remove_forward(BusContext& ctx, sdbus::Result<>&& result, const Caller& caller, const std::string& action,
                    std::map<std::string, std::string> details, const std::string& vm_id, const std::string& protocol,
                    std::uint16_t host_port, std::shared_ptr<void> keep_alive) {
  if (!validated(result, [&] { validate_forward_protocol(protocol); })) return;
  authorize_and_run(ctx, std::move(result), caller, action, std::move(details),
                    [&vms = ctx.vms, forwards = ctx.forwards, vm_id, protocol, host_port] {
                      auto& from = supported(forwards);
                      vms.inspect(vm_id, [&](const VmRecord& vm) { from.remove(vm, protocol, host_port); });
                      return std::tuple<>();
                    },
                    std::move(keep_alive));
}

}  // namespace banger
