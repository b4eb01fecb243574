#include "bus/workspace_methods.h"

#include <memory>
#include <optional>

#include "banger/object_path.h"
#include "bus/operation_request.h"
#include "bus/options.h"
#include "bus/request.h"
#include "core/errors.h"
#include "core/transfer_slots.h"
#include "core/unique_fd.h"
#include "workspace/workspaces.h"

namespace banger {

namespace {

// Shared by the copies of the operation's callbacks; released the moment the
// copy ends, so the VM is free and the peer sees the end of the stream.
struct Transfer {
  UniqueFd archive;
  std::optional<WorkspaceTransfer> held;
  TransferSlots::Slot slot;  // this transfer's thread, released with the rest
};

template <typename Options, typename Copy>
void start_transfer(BusContext& ctx, sdbus::Result<sdbus::ObjectPath>&& result, const Caller& caller,
                    const std::string& action, std::map<std::string, std::string> details, const std::string& vm_id,
                    sdbus::UnixFd archive, std::string kind, Options options, Copy copy) {
  if (ctx.workspaces == nullptr || ctx.transfer_slots == nullptr || ctx.transfer_threads == nullptr) {
    result.returnError(sdbus::Error("org.freedesktop.DBus.Error.NotSupported", "this bangerd has no workspaces"));
    return;
  }
  auto transfer = std::make_shared<Transfer>();
  transfer->archive = UniqueFd(archive.release());
  Workspaces& workspaces = *ctx.workspaces;
  TransferSlots& slots = *ctx.transfer_slots;
  authorize_and_start_operation(
      ctx, std::move(result), caller, action, std::move(details), std::move(kind),
      // A slot first: past the limits the call is refused (ResourceExhausted), never queued.
      [&workspaces, &slots, transfer, vm_id, uid = caller.uid] {
        transfer->slot = slots.acquire(uid);
        try {
          transfer->held.emplace(workspaces.begin(vm_id));
        } catch (...) {
          transfer->slot.reset();
          throw;
        }
        return bus::vm_path(vm_id);
      },
      [&workspaces, transfer, options, copy](ProgressSink& progress) {
        try {
          copy(workspaces, *transfer->held, transfer->archive.get(), options, progress);
        } catch (...) {
          transfer->archive.reset();
          transfer->held.reset();
          transfer->slot.reset();
          throw;
        }
        transfer->archive.reset();
        transfer->held.reset();
        transfer->slot.reset();
      },
      ctx.transfer_threads);
}

}  // namespace

void push_workspace(BusContext& ctx, sdbus::Result<sdbus::ObjectPath>&& result, const Caller& caller,
                    const std::string& action, std::map<std::string, std::string> details, const std::string& vm_id,
                    sdbus::UnixFd archive, const std::map<std::string, sdbus::Variant>& options) {
  PushOptions parsed;
  if (!validated(result, [&] { parsed = parse_push_options(to_option_map(options)); })) return;
  start_transfer(ctx, std::move(result), caller, action, std::move(details), vm_id, std::move(archive),
                 "push-workspace", parsed,
                 [](Workspaces& w, const WorkspaceTransfer& t, int fd, const PushOptions& o, ProgressSink& p) {
                   w.push(t, fd, o, p);
                 });
}

void pull_workspace(BusContext& ctx, sdbus::Result<sdbus::ObjectPath>&& result, const Caller& caller,
                    const std::string& action, std::map<std::string, std::string> details, const std::string& vm_id,
                    sdbus::UnixFd archive, const std::map<std::string, sdbus::Variant>& options) {
  PullOptions parsed;
  if (!validated(result, [&] { parsed = parse_pull_options(to_option_map(options)); })) return;
  start_transfer(ctx, std::move(result), caller, action, std::move(details), vm_id, std::move(archive),
                 "pull-workspace", parsed,
                 [](Workspaces& w, const WorkspaceTransfer& t, int fd, const PullOptions& o, ProgressSink& p) {
                   w.pull(t, fd, o, p);
                 });
}

}  // namespace banger
