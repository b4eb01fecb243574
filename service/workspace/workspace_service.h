#pragma once
#include "core/transfer_slots.h"
#include "core/workspace_service.h"

namespace banger {

class Workspaces;

// The domain service of core/workspace_service.h over Workspaces, the transfer
// slots and the transfers' threads. Without Workspaces (null), begin() answers
// Error(not_supported); options are checked either way.
class VmWorkspaces final : public WorkspaceService {
 public:
  VmWorkspaces(Workspaces* workspaces, TransferSlots& slots, WorkerPool& threads)
      : workspaces_(workspaces), slots_(slots), threads_(threads) {}

  void check_options(Direction direction, const OptionMap& options) const override;
  std::unique_ptr<Transfer> begin(Direction direction, const std::string& vm_id, std::uint32_t uid, UniqueFd archive,
                                  const OptionMap& options) override;
  WorkerPool* threads() override { return &threads_; }

 private:
  Workspaces* workspaces_;
  TransferSlots& slots_;
  WorkerPool& threads_;
};

}  // namespace banger
