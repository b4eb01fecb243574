#include "bus/vm_console_methods.h"

#include "bus/request.h"
#include "core/vm_guest_services.h"

namespace banger {

void open_console(BusContext& ctx, sdbus::Result<sdbus::UnixFd>&& result, const Caller& caller,
                  const std::string& action, std::map<std::string, std::string> details, const std::string& vm_id,
                  std::shared_ptr<void> keep_alive) {
  authorize_and_run(
      ctx, std::move(result), caller, action, std::move(details),
      [&console = ctx.console, vm_id] {
        UniqueFd opened = console.open(vm_id);
        return std::tuple(sdbus::UnixFd(opened.get()));  // a dup; `opened` closes the original
      },
      std::move(keep_alive));
}

}  // namespace banger
