#pragma once
#include "core/transfer_slots.h"
#include "core/vm_sessions.h"
#include "core/workspace_service.h"

namespace banger {

class Workspaces;

// The domain service of core/workspace_service.h over Workspaces, the transfer
// slots and the transfers' threads. Without Workspaces (null), begin() answers
// Error(not_supported); options are checked either way.
class VmWorkspaces final : public WorkspaceService {
 public:
  // `sessions` (may be null): each transfer is a session with its VM while it runs (idle sleep).
  VmWorkspaces(Workspaces* workspaces, TransferSlots& slots, WorkerPool& threads, VmSessions* sessions = nullptr)
      : workspaces_(workspaces), slots_(slots), threads_(threads), sessions_(sessions) {}

  void check_options(Direction direction, const OptionMap& options) const override;
  std::unique_ptr<Transfer> begin(Direction direction, const std::string& vm_id, std::uint32_t uid, UniqueFd archive,
                                  const OptionMap& options) override;
  WorkerPool* threads() override { return &threads_; }

 private:
  Workspaces* workspaces_;
  TransferSlots& slots_;
  WorkerPool& threads_;
  VmSessions* sessions_;
};

}  // namespace banger
