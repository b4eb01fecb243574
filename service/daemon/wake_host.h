#pragma once
#include <memory>

#include "core/vm_manager.h"
#include "core/wake_on_connect.h"
#include "core/worker_pool.h"
#include "daemon/storage.h"
#include "net/wake_queue.h"
#include "net/wake_table.h"

namespace banger {

// Wake-on-connect (core/wake_on_connect.h) over the host: the netfilter queue,
// the wake table and two threads for the starts. Without a queue (the kernel
// has no nfnetlink_queue, or another program holds the number) bangerd runs
// without it, logged once: idle VMs still sleep, only bangerctl wakes them.
// Nor without host networking (`host_networking` false: the bus tests'
// bangerd, which must leave the host's nftables alone): no VM has a tap then.
// The wake table exists only while bangerd runs and a VM has needed it
// (net/wake_table.h); this removes it when bangerd stops.
class WakeHost {
 public:
  WakeHost(VmManager& vms, Storage& storage, bool host_networking);
  ~WakeHost();
  WakeHost(const WakeHost&) = delete;
  WakeHost& operator=(const WakeHost&) = delete;

  VmEvents* events() { return logic_.get(); }  // null without a queue
  // After recovery: the rules for the VMs suspended now.
  void load(const std::vector<VmRecord>& vms);

 private:
  bool host_networking_;
  WakeTable table_{wake_queue_num};
  std::unique_ptr<WakeQueue> queue_;
  std::unique_ptr<WakeOnConnect> logic_;
  std::unique_ptr<WorkerPool> workers_;
};

}  // namespace banger
