#pragma once
#include <functional>
#include <future>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "core/vmm_watch.h"

namespace banger {

// Notices the end of every watched VMM at once: one thread epolls a pidfd per
// VMM, plus a signalfd for SIGCHLD. The VMMs bangerd launched are its
// children (spawn_detached): their exit status is known (waitid) and no zombie
// is left, including VMMs that died before they were watched; other children
// of the daemon are left to whoever waits for them. A VMM adopted after a
// restart is not our child; its end is reported with VmmExit::How::unknown.
// SIGCHLD must be blocked in every thread (run_daemon does it before any starts).
class ExitWatcher final : public VmmWatch {
 public:
  using Handler = std::function<void(const std::string& vm_id, const VmmProcess&, const VmmExit&)>;

  ExitWatcher();
  ~ExitWatcher() override;

  // Starts the thread; each exit is handed to `handler` on a thread of its own
  // (it may wait for the VM's lock while a stop is in progress).
  void start(Handler handler);
  // Ends the thread and waits for running handlers; watch/unwatch stay harmless.
  void stop();

  void watch(const std::string& vm_id, const VmmProcess& process) override;
  void unwatch(const std::string& vm_id) override;

  std::size_t watched() const;

 private:
  struct Entry {
    std::string vm_id;
    VmmProcess process;
  };
  void run();
  void reap_children();
  void pidfd_ready(int fd);
  void remove_locked(int fd);
  void dispatch(const Entry& entry, const VmmExit& exit);

  int epoll_ = -1;
  int wake_ = -1;
  int sigchld_ = -1;
  mutable std::mutex mutex_;
  std::map<int, Entry> by_fd_;
  Handler handler_;
  bool stopping_ = false;
  std::list<std::future<void>> running_;
  std::thread thread_;
};

}  // namespace banger
