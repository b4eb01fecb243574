#pragma once
// The crash test's rig: the real bangerd (fault points on) in a network
// namespace, on the fake Firecracker VMM, with a stand-in guest SSH server
// (dropbear in the namespace, answering on every guest address) so that
// Start completes as with a real guest. Operations are fired and not awaited:
// the daemon may die under them.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <sdbus-c++/sdbus-c++.h>

#include "bus_environment.h"
#include "invariants.h"

namespace banger::test {

class CrashRig {
 public:
  CrashRig(BusEnvironment& env, const ScopedNetns& netns);
  ~CrashRig();

  void prepare();  // the default image, the guest SSH stand-in
  void reconnect();
  CrashSite site() const;

  // Operations; bus errors are swallowed (the daemon may be gone).
  void create(const std::string& name);
  void start(const std::string& name);
  void stop(const std::string& name);
  void suspend(const std::string& name);
  void remove(const std::string& name);
  void clone(const std::string& name, const std::string& copy);
  void push_workspace(const std::string& name);
  void create_network(const std::string& name, const std::string& subnet);
  // Named checkpoints (VM.Snapshot; Snapshot.Restore and Delete of the VM's checkpoint `checkpoint`).
  void snapshot(const std::string& name, const std::string& checkpoint);
  void restore_snapshot(const std::string& name, const std::string& checkpoint);
  void delete_snapshot(const std::string& name, const std::string& checkpoint);
  // Snapshot.Clone of the VM's checkpoint `checkpoint` into a new VM `copy`.
  void clone_snapshot(const std::string& name, const std::string& checkpoint, const std::string& copy);
  // The object path of the VM's checkpoint of that name; "" when there is none.
  std::string snapshot_path(const std::string& name, const std::string& checkpoint);
  // Fire-and-forget: runs in a thread, for kills at a random moment.
  void in_background(std::function<void()> operation);
  void join_background();

  std::string state(const std::string& name);  // "" when there is no such VM
  bool wait_state(const std::string& name, const std::string& state, std::chrono::milliseconds timeout = 20s);
  bool network_exists(const std::string& name);
  // Back to the baseline: only the VMs in `keep`, only the default network.
  void reset(const std::vector<std::string>& keep);

 private:
  std::string vm_path(const std::string& name);

  BusEnvironment& env_;
  const ScopedNetns& netns_;
  std::unique_ptr<sdbus::IConnection> connection_;
  std::unique_ptr<sdbus::IProxy> manager_;
  Service dropbear_;
  std::vector<std::thread> background_;
};

}  // namespace banger::test
