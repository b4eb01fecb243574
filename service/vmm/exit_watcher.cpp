#include "vmm/exit_watcher.h"

#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/log.h"
#include "vmm/process.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace banger {

namespace {

VmmExit exit_of(const siginfo_t& info) {
  if (info.si_code == CLD_EXITED) return {VmmExit::How::exited, info.si_status};
  if (info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED) return {VmmExit::How::signalled, info.si_status};
  return {};
}

// Debian 12's <sys/pidfd.h> lacks C linkage for C++; the system call is the same.
int open_pidfd(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

void add_to_epoll(int epoll, int fd) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &ev) != 0)
    throw Error(ErrorKind::internal, fmt::format("epoll_ctl: {}", strerror(errno)));
}

}  // namespace

ExitWatcher::ExitWatcher() {
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  wake_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  sigchld_ = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (epoll_ < 0 || wake_ < 0 || sigchld_ < 0)
    throw Error(ErrorKind::internal, fmt::format("exit watcher: {}", strerror(errno)));
  add_to_epoll(epoll_, wake_);
  add_to_epoll(epoll_, sigchld_);
}

ExitWatcher::~ExitWatcher() {
  stop();
  for (const auto& [fd, entry] : by_fd_) close(fd);
  close(sigchld_);
  close(wake_);
  close(epoll_);
}

void ExitWatcher::start(Handler handler) {
  handler_ = std::move(handler);
  thread_ = std::thread([this] { run(); });
}

void ExitWatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  std::uint64_t one = 1;
  (void)!write(wake_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
  std::list<std::future<void>> handlers;
  {
    std::lock_guard lock(mutex_);
    handlers.swap(running_);
  }
  handlers.clear();  // each future's destructor waits for its handler
}

std::size_t ExitWatcher::watched() const {
  std::lock_guard lock(mutex_);
  return by_fd_.size();
}

void ExitWatcher::watch(const std::string& vm_id, const VmmProcess& process) {
  unwatch(vm_id);
  int fd = open_pidfd(process.pid);
  // Open first, then check the start time: the pidfd pins this pid, so a
  // process that matches now is the VMM until the pidfd says it ended.
  if (fd < 0 || process_start_time(process.pid) != process.start_time) {
    if (fd >= 0) close(fd);
    std::lock_guard lock(mutex_);
    dispatch({vm_id, process}, {});  // already gone
    return;
  }
  std::lock_guard lock(mutex_);
  by_fd_[fd] = {vm_id, process};
  add_to_epoll(epoll_, fd);
}

void ExitWatcher::unwatch(const std::string& vm_id) {
  std::lock_guard lock(mutex_);
  for (auto it = by_fd_.begin(); it != by_fd_.end(); ++it) {
    if (it->second.vm_id != vm_id) continue;
    remove_locked(it->first);
    return;
  }
}

void ExitWatcher::remove_locked(int fd) {
  epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
  close(fd);
  by_fd_.erase(fd);
}

void ExitWatcher::dispatch(const Entry& entry, const VmmExit& exit) {
  if (stopping_ || !handler_) return;
  running_.remove_if(
      [](const std::future<void>& f) { return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready; });
  running_.push_back(std::async(std::launch::async, [handler = handler_, entry, exit] {
    handler(entry.vm_id, entry.process, exit);
  }));
}

void ExitWatcher::run() {
  epoll_event events[16];
  for (;;) {
    int n = epoll_wait(epoll_, events, 16, -1);
    if (n < 0 && errno != EINTR) {
      log::error("exit watcher: epoll_wait: {}", strerror(errno));
      return;
    }
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == wake_) {
        std::uint64_t count;
        (void)!read(wake_, &count, sizeof count);
        std::lock_guard lock(mutex_);
        if (stopping_) return;
      } else if (fd == sigchld_) {
        signalfd_siginfo drained;
        while (read(sigchld_, &drained, sizeof drained) == sizeof drained) {
        }
        reap_children();
      } else {
        pidfd_ready(fd);
      }
    }
  }
}

void ExitWatcher::reap_children() {
  reap_spawned_children([this](pid_t pid, const siginfo_t& info) {
    // Under the lock, so a watch() of this pid cannot slip in before it is reaped.
    std::lock_guard lock(mutex_);
    for (auto it = by_fd_.begin(); it != by_fd_.end(); ++it) {
      if (it->second.process.pid != pid) continue;
      Entry entry = it->second;
      remove_locked(it->first);
      dispatch(entry, exit_of(info));
      break;
    }
  });
}

void ExitWatcher::pidfd_ready(int fd) {
  std::lock_guard lock(mutex_);
  auto it = by_fd_.find(fd);
  if (it == by_fd_.end()) return;  // settled by reap_children meanwhile
  pollfd check{fd, POLLIN, 0};
  if (poll(&check, 1, 0) != 1) return;  // fd number reused by a newer watch whose VMM still runs
  siginfo_t info{};
  VmmExit exit;
  // Our child: its status (and no zombie). Not our child (adopted): ECHILD, status unknown.
  if (waitid(static_cast<idtype_t>(P_PIDFD), fd, &info, WEXITED | WNOHANG) == 0 && info.si_pid != 0)
    exit = exit_of(info);
  Entry entry = it->second;
  remove_locked(fd);
  dispatch(entry, exit);
}

}  // namespace banger
