#include "bus/vm_keys_methods.h"

#include "bus/request.h"
#include "core/vm_guest_services.h"

namespace banger {

void add_authorized_keys(BusContext& ctx, sdbus::Result<>&& result, const Caller& caller, const std::string& action,
                         std::map<std::string, std::string> details, const std::string& vm_id,
                         const std::vector<std::string>& keys, std::shared_ptr<void> keep_alive) {
  if (!validated(result, [&] { ctx.keys.check_keys(keys); })) return;
  authorize_and_run(
      ctx, std::move(result), caller, action, std::move(details),
      [&keys_service = ctx.keys, vm_id, keys, uid = caller.uid] {
        keys_service.add(vm_id, keys, uid);
        return std::tuple<>();
      },
      std::move(keep_alive));
}

void remove_authorized_keys(BusContext& ctx, sdbus::Result<>&& result, const Caller& caller,
                            const std::string& action, std::map<std::string, std::string> details,
                            const std::string& vm_id, const std::vector<std::string>& fingerprints,
                            std::shared_ptr<void> keep_alive) {
  if (!validated(result, [&] { ctx.keys.check_fingerprints(fingerprints); })) return;
  authorize_and_run(
      ctx, std::move(result), caller, action, std::move(details),
      [&keys_service = ctx.keys, vm_id, fingerprints] {
        keys_service.remove(vm_id, fingerprints);
        return std::tuple<>();
      },
      std::move(keep_alive));
}

}  // namespace banger
