#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "core/capability.h"
#include "core/options.h"
#include "core/unique_fd.h"

namespace banger {

class WorkerPool;

// PushWorkspace, PullWorkspace as the bus edge holds them (issue 18): tar
// streams into and out of a VM's work disk (workspace/workspaces.h does the
// work). Like core/vm_guest_services.h: always there, NotSupported decided
// once it is authorized, the options checked before.
class WorkspaceService {
 public:
  enum class Direction { push, pull };

  // One transfer under way. While it lives it holds its VM (the VM's verbs
  // that would touch the disk answer Busy) and its transfer slot; dropping it
  // releases both, and closes the caller's stream so the peer sees its end.
  class Transfer {
   public:
    virtual ~Transfer() = default;
    // The copy itself, once. Errors: invalid_args (a refused entry), resource_exhausted, backend_failed.
    virtual void run(ProgressSink& progress) = 0;
  };

  virtual ~WorkspaceService() = default;
  // Before authorization: Error(invalid_args) for options the direction does not take.
  virtual void check_options(Direction direction, const OptionMap& options) const = 0;
  // After authorization, on a worker: a transfer slot first (past the limits
  // Error(resource_exhausted) at once, never a queue), then the VM held
  // (no_such_vm, busy, invalid_state). Error(not_supported) without workspaces.
  virtual std::unique_ptr<Transfer> begin(Direction direction, const std::string& vm_id, std::uint32_t uid,
                                          UniqueFd archive, const OptionMap& options) = 0;
  // Where transfers run: threads of their own, as many as slots, so stuck
  // callers never hold the shared pool's workers. Null: the shared pool.
  virtual WorkerPool* threads() = 0;
};

}  // namespace banger
