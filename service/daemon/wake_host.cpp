#include "daemon/wake_host.h"

#include "core/log.h"

namespace banger {
namespace {

void remove_logged(WakeTable& table) {
  try {
    table.remove();
  } catch (const std::exception& e) {
    log::warn("cannot remove the wake table: {}", e.what());
  }
}

}  // namespace

WakeHost::WakeHost(VmManager& vms, Storage& storage, bool host_networking) : host_networking_(host_networking) {
  if (!host_networking_) return;
  try {
    queue_ = std::make_unique<WakeQueue>(wake_queue_num, [this](std::uint32_t id, WakeTarget target) {
      if (logic_) return logic_->connection(id, target.address, target.port);
      queue_->release(id);
    });
  } catch (const std::exception& e) {
    log::warn("no wake-on-connect: {}", e.what());
    return;
  }
  workers_ = std::make_unique<WorkerPool>(2);
  logic_ = std::make_unique<WakeOnConnect>(WakeOnConnect::Deps{
      table_, *queue_, storage.attachments, storage.store,
      [this](std::function<void()> job) { workers_->submit(std::move(job)); },
      [&vms](const std::string& id) { vms.start(id); }});
}

WakeHost::~WakeHost() {
  if (queue_) queue_->stop_reading();  // no new wakes
  workers_.reset();                     // the running ones end, letting their packets go
  logic_.reset();
  queue_.reset();  // nothing held any more: the table may go (deleting a chain drops held packets)
  if (host_networking_) remove_logged(table_);  // the next bangerd makes it again when a VM needs it
}

void WakeHost::load(const std::vector<VmRecord>& vms) {
  if (logic_)
    logic_->load(vms);
  else if (host_networking_)
    remove_logged(table_);  // none left from a bangerd that had a queue
}

}  // namespace banger
