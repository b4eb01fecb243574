#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/guest_ports.h"

namespace banger {

// Lists one guest's listening ports, keeping whatever connection it needs
// between calls and reopening it after a failure.
class GuestPortProbe {
 public:
  virtual ~GuestPortProbe() = default;
  // Throws (Error(backend_failed)) when the guest does not answer.
  virtual std::vector<GuestPort> list_ports() = 0;
};

// Makes the probe of a VM at `address`; called on the VM's polling thread, so
// it may be slow, but it should not connect yet (list_ports does).
using GuestPortProbeFactory =
    std::function<std::unique_ptr<GuestPortProbe>(const std::string& vm_id, const std::string& address)>;

// Polls the listening ports of each watched (running) VM on a thread of its
// own, so a slow or silent guest delays nobody else: a list at once, then one
// every `interval`. Observers hear of each change (and only of changes); a
// probe that fails keeps the last list, logs once until the guest answers
// again, and is retried at the next round. Unwatching empties the VM's list
// (observers told when it was not empty). Observers are called on the polling
// threads, one VM's calls in order and never after its unwatch finished; they
// must be quick and must not call back into the poller.
class GuestPortPoller {
 public:
  // interval 0: polling is off and watch does nothing.
  GuestPortPoller(std::chrono::milliseconds interval, GuestPortProbeFactory probes);
  ~GuestPortPoller();  // stop()
  GuestPortPoller(const GuestPortPoller&) = delete;
  GuestPortPoller& operator=(const GuestPortPoller&) = delete;

  // Before the first watch.
  void add_observer(GuestPortsObserver& observer);

  // Starts polling the VM (no-op when it is polled already).
  void watch(const std::string& vm_id, const std::string& address);
  // Stops polling the VM without waiting for a poll in flight. `keep_ports`
  // (a paused VM, whose guest still listens): its list is not emptied.
  void unwatch(const std::string& vm_id, bool keep_ports = false);
  // The VM's last list; empty when not watched.
  std::vector<GuestPort> ports(const std::string& vm_id) const;
  // At shutdown: ends every watch and waits for the threads, telling observers
  // nothing (the VMs keep running; a restarted daemon polls them again).
  void stop();

 private:
  struct Watch;
  void notify(const std::string& vm_id, const std::vector<GuestPort>& ports);
  void poll(Watch& watch);
  void reap_finished();  // joins the threads of unwatched VMs that have returned

  std::chrono::milliseconds interval_;
  GuestPortProbeFactory probes_;
  std::vector<GuestPortsObserver*> observers_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Watch>> watches_;
  std::vector<std::shared_ptr<Watch>> retired_;  // unwatched, their threads maybe still in a probe
};

}  // namespace banger
