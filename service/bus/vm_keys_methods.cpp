#include "bus/vm_keys_methods.h"

#include "bus/request.h"
#include "capabilities/authorized_keys.h"
#include "capabilities/ssh_public_key.h"
#include "core/vm_manager.h"

namespace banger {

namespace {

bool supported(BusContext& ctx, sdbus::Result<>& result) {
  if (ctx.authorized_keys != nullptr) return true;
  result.returnError(sdbus::Error("org.freedesktop.DBus.Error.NotSupported", "this bangerd keeps no authorized keys"));
  return false;
}

}  // namespace

void add_authorized_keys(BusContext& ctx, sdbus::Result<>&& result, const Caller& caller, const std::string& action,
                         std::map<std::string, std::string> details, const std::string& vm_id,
                         const std::vector<std::string>& keys, std::shared_ptr<void> keep_alive) {
  if (!supported(ctx, result)) return;
  std::vector<SshPublicKey> parsed;
  if (!validated(result, [&] { parsed = parse_ssh_public_keys(keys); })) return;
  authorize_and_run(
      ctx, std::move(result), caller, action, std::move(details),
      [&ctx, vm_id, parsed, uid = caller.uid] {
        ctx.vms.inspect(vm_id, [&](const VmRecord& vm) { ctx.authorized_keys->add(vm, parsed, uid); });
        return std::tuple<>();
      },
      std::move(keep_alive));
}

void remove_authorized_keys(BusContext& ctx, sdbus::Result<>&& result, const Caller& caller,
                            const std::string& action, std::map<std::string, std::string> details,
                            const std::string& vm_id, const std::vector<std::string>& fingerprints,
                            std::shared_ptr<void> keep_alive) {
  if (!supported(ctx, result)) return;
  if (!validated(result, [&] { validate_fingerprints(fingerprints); })) return;
  authorize_and_run(
      ctx, std::move(result), caller, action, std::move(details),
      [&ctx, vm_id, fingerprints] {
        ctx.vms.inspect(vm_id, [&](const VmRecord& vm) { ctx.authorized_keys->remove(vm, fingerprints); });
        return std::tuple<>();
      },
      std::move(keep_alive));
}

}  // namespace banger
