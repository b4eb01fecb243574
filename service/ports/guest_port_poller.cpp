#include "ports/guest_port_poller.h"

#include <atomic>
#include <condition_variable>
#include <exception>
#include <optional>
#include <thread>

#include "core/log.h"

namespace banger {

struct GuestPortPoller::Watch {
  std::string vm_id;
  std::string address;
  std::mutex mutex;  // orders this VM's notifications against its unwatch
  std::condition_variable wake;
  bool stopping = false;
  std::vector<GuestPort> ports;
  std::atomic<bool> finished{false};
  std::thread thread;
};

GuestPortPoller::GuestPortPoller(std::chrono::milliseconds interval, GuestPortProbeFactory probes)
    : interval_(interval), probes_(std::move(probes)) {}

GuestPortPoller::~GuestPortPoller() { stop(); }

void GuestPortPoller::add_observer(GuestPortsObserver& observer) { observers_.push_back(&observer); }

void GuestPortPoller::notify(const std::string& vm_id, const std::vector<GuestPort>& ports) {
  for (auto* observer : observers_) observer->guest_ports_changed(vm_id, ports);
}

void GuestPortPoller::watch(const std::string& vm_id, const std::string& address) {
  if (interval_.count() == 0) return;
  std::lock_guard lock(mutex_);
  reap_finished();
  if (watches_.contains(vm_id)) return;
  auto watch = std::make_shared<Watch>();
  watch->vm_id = vm_id;
  watch->address = address;
  // The thread holds only the Watch: it outlives the map entry while a probe finishes.
  watch->thread = std::thread([this, w = watch.get()] { poll(*w); });
  watches_.emplace(vm_id, std::move(watch));
}

void GuestPortPoller::poll(Watch& w) {
  std::unique_ptr<GuestPortProbe> probe;
  bool failing = false;
  for (;;) {
    std::optional<std::vector<GuestPort>> listed;
    try {
      if (!probe) probe = probes_(w.vm_id, w.address);
      listed = probe->list_ports();
      if (failing) log::info("VM {}: its guest answers the port listing again", w.vm_id);
      failing = false;
    } catch (const std::exception& e) {
      if (!failing) log::warn("VM {}: cannot list the guest's ports (keeping the last list, retrying): {}", w.vm_id, e.what());
      failing = true;
    }
    std::unique_lock lock(w.mutex);
    if (w.stopping) break;
    if (listed && *listed != w.ports) {
      w.ports = std::move(*listed);
      notify(w.vm_id, w.ports);
    }
    if (w.wake.wait_for(lock, interval_, [&w] { return w.stopping; })) break;
  }
  probe.reset();  // its connection goes on this thread, not on the unwatching one
  w.finished = true;
}

void GuestPortPoller::unwatch(const std::string& vm_id, bool keep_ports) {
  std::shared_ptr<Watch> watch;
  {
    std::lock_guard lock(mutex_);
    auto it = watches_.find(vm_id);
    if (it == watches_.end()) return;
    watch = it->second;
    watches_.erase(it);
  }
  {
    std::lock_guard lock(watch->mutex);
    watch->stopping = true;
    if (!keep_ports && !watch->ports.empty()) {
      watch->ports.clear();
      notify(vm_id, watch->ports);
    }
  }
  watch->wake.notify_all();
  std::lock_guard lock(mutex_);
  retired_.push_back(std::move(watch));
  reap_finished();
}

void GuestPortPoller::reap_finished() {
  std::erase_if(retired_, [](const std::shared_ptr<Watch>& w) {
    if (!w->finished) return false;
    w->thread.join();
    return true;
  });
}

std::vector<GuestPort> GuestPortPoller::ports(const std::string& vm_id) const {
  std::shared_ptr<Watch> watch;
  {
    std::lock_guard lock(mutex_);
    auto it = watches_.find(vm_id);
    if (it == watches_.end()) return {};
    watch = it->second;
  }
  std::lock_guard lock(watch->mutex);
  return watch->ports;
}

void GuestPortPoller::stop() {
  std::vector<std::shared_ptr<Watch>> all;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, watch] : watches_) all.push_back(std::move(watch));
    watches_.clear();
    all.insert(all.end(), retired_.begin(), retired_.end());
    retired_.clear();
  }
  for (auto& watch : all) {
    {
      std::lock_guard lock(watch->mutex);
      watch->stopping = true;
    }
    watch->wake.notify_all();
  }
  for (auto& watch : all) watch->thread.join();
}

}  // namespace banger
