#include "bus/vm_console_methods.h"

#include <fmt/format.h>

#include "bus/request.h"
#include "capabilities/console_relay.h"
#include "core/errors.h"
#include "core/vm_manager.h"

namespace banger {

void open_console(BusContext& ctx, sdbus::Result<sdbus::UnixFd>&& result, const Caller& caller,
                  const std::string& action, std::map<std::string, std::string> details, const std::string& vm_id,
                  std::shared_ptr<void> keep_alive) {
  authorize_and_run(
      ctx, std::move(result), caller, action, std::move(details),
      [&ctx, vm_id] {
        // Asked only once polkit said yes: an unauthorized caller learns nothing about this bangerd.
        if (ctx.console_relay == nullptr)
          throw sdbus::Error("org.freedesktop.DBus.Error.NotSupported", "this bangerd has no console relay ([console] relay)");
        UniqueFd console;
        // Under the VM's lock, so a Stop cannot end the relay between the check and the connect.
        ctx.vms.inspect(vm_id, [&](const VmRecord& vm) {
          if (vm.state != VmState::running)
            throw Error(ErrorKind::invalid_state,
                        fmt::format("VM '{}' is {}; its console is there only while it runs", vm.name,
                                    to_string(vm.state)));
          console = ctx.console_relay->connect(vm.id);
        });
        return std::tuple(sdbus::UnixFd(console.get()));  // a dup; `console` closes the original
      },
      std::move(keep_alive));
}

}  // namespace banger
