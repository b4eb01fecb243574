#include "workspace/workspace_service.h"

#include <variant>

#include "core/errors.h"
#include "workspace/workspaces.h"

namespace banger {

namespace {

using Options = std::variant<PushOptions, PullOptions>;

Options parsed(WorkspaceService::Direction direction, const OptionMap& options) {
  if (direction == WorkspaceService::Direction::push) return parse_push_options(options);
  return parse_pull_options(options);
}

// Declared in this order so that the VM is let go before the slot, and the
// caller's stream is closed last of all: its peer sees the end once the VM is free.
class HeldTransfer final : public WorkspaceService::Transfer {
 public:
  HeldTransfer(Workspaces& workspaces, UniqueFd archive, Options options, TransferSlots::Slot slot,
               VmSessions::Held session, WorkspaceTransfer held)
      : workspaces_(workspaces),
        archive_(std::move(archive)),
        options_(std::move(options)),
        slot_(std::move(slot)),
        session_(std::move(session)),
        held_(std::move(held)) {}

  void run(ProgressSink& progress) override {
    if (const auto* push = std::get_if<PushOptions>(&options_))
      workspaces_.push(held_, archive_.get(), *push, progress);
    else
      workspaces_.pull(held_, archive_.get(), std::get<PullOptions>(options_), progress);
  }

 private:
  Workspaces& workspaces_;
  UniqueFd archive_;
  Options options_;
  TransferSlots::Slot slot_;
  VmSessions::Held session_;
  WorkspaceTransfer held_;
};

}  // namespace

void VmWorkspaces::check_options(Direction direction, const OptionMap& options) const { parsed(direction, options); }

std::unique_ptr<WorkspaceService::Transfer> VmWorkspaces::begin(Direction direction, const std::string& vm_id,
                                                                std::uint32_t uid, UniqueFd archive,
                                                                const OptionMap& options) {
  if (workspaces_ == nullptr) throw Error(ErrorKind::not_supported, "this bangerd has no workspaces");
  Options checked = parsed(direction, options);
  // A slot first: past the limits the call is refused (ResourceExhausted), never queued.
  TransferSlots::Slot slot = slots_.acquire(uid);
  WorkspaceTransfer held = workspaces_->begin(vm_id);  // the slot goes with `slot` should this throw
  VmSessions::Held session = sessions_ != nullptr ? sessions_->hold(vm_id) : nullptr;
  return std::make_unique<HeldTransfer>(*workspaces_, std::move(archive), std::move(checked), std::move(slot),
                                        std::move(session), std::move(held));
}

}  // namespace banger
