#include "bus/workspace_methods.h"

#include <memory>

#include "banger/object_path.h"
#include "bus/operation_request.h"
#include "bus/options.h"
#include "bus/request.h"
#include "core/workspace_service.h"

namespace banger {

namespace {

using Direction = WorkspaceService::Direction;

void start_transfer(BusContext& ctx, sdbus::Result<sdbus::ObjectPath>&& result, const Caller& caller,
                    const std::string& action, std::map<std::string, std::string> details, const std::string& vm_id,
                    sdbus::UnixFd archive, Direction direction, const std::map<std::string, sdbus::Variant>& options) {
  OptionMap checked;
  if (!validated(result, [&] {
        checked = to_option_map(options);
        ctx.workspaces.check_options(direction, checked);
      }))
    return;
  // Shared by the copies of the operation's callbacks: the caller's stream
  // until the transfer takes it, then the transfer until its copy ends.
  auto stream = std::make_shared<UniqueFd>(archive.release());
  auto transfer = std::make_shared<std::unique_ptr<WorkspaceService::Transfer>>();
  WorkspaceService& workspaces = ctx.workspaces;
  authorize_and_start_operation(
      ctx, std::move(result), caller, action, std::move(details),
      direction == Direction::push ? "push-workspace" : "pull-workspace",
      [&workspaces, stream, transfer, direction, vm_id, checked, uid = caller.uid] {
        *transfer = workspaces.begin(direction, vm_id, uid, std::move(*stream), checked);
        return bus::vm_path(vm_id);
      },
      [transfer](ProgressSink& progress) {
        // Dropped as the copy ends, however it ends: the VM and the slot are free at once.
        const std::unique_ptr<WorkspaceService::Transfer> running = std::move(*transfer);
        running->run(progress);
      },
      workspaces.threads());
}

}  // namespace

void push_workspace(BusContext& ctx, sdbus::Result<sdbus::ObjectPath>&& result, const Caller& caller,
                    const std::string& action, std::map<std::string, std::string> details, const std::string& vm_id,
                    sdbus::UnixFd archive, const std::map<std::string, sdbus::Variant>& options) {
  start_transfer(ctx, std::move(result), caller, action, std::move(details), vm_id, std::move(archive),
                 Direction::push, options);
}

void pull_workspace(BusContext& ctx, sdbus::Result<sdbus::ObjectPath>&& result, const Caller& caller,
                    const std::string& action, std::map<std::string, std::string> details, const std::string& vm_id,
                    sdbus::UnixFd archive, const std::map<std::string, sdbus::Variant>& options) {
  start_transfer(ctx, std::move(result), caller, action, std::move(details), vm_id, std::move(archive),
                 Direction::pull, options);
}

}  // namespace banger
