#include "bus/event_loop.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <system_error>

#include <sdbus-c++/IConnection.h>

#include "core/log.h"

namespace banger {

EventLoop::EventLoop(sdbus::IConnection& connection) : connection_(connection) {
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

EventLoop::~EventLoop() {
  if (wake_fd_ >= 0) close(wake_fd_);
  if (signal_fd_ >= 0) close(signal_fd_);
}

void EventLoop::post(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  std::uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof one);
}

void EventLoop::post_after(std::chrono::milliseconds delay, std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    timers_.emplace(std::chrono::steady_clock::now() + delay, std::move(job));
  }
  std::uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof one);
}

void EventLoop::quit() {
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
  }
  std::uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof one);
}

void EventLoop::run_due_jobs() {
  std::vector<std::function<void()>> due;
  {
    std::lock_guard lock(mutex_);
    due.swap(jobs_);
    auto now = std::chrono::steady_clock::now();
    while (!timers_.empty() && timers_.begin()->first <= now) {
      due.push_back(std::move(timers_.begin()->second));
      timers_.erase(timers_.begin());
    }
  }
  for (auto& job : due) {
    try {
      job();
    } catch (const std::exception& e) {
      log::error("bus job failed: {}", e.what());
    }
  }
}

int EventLoop::poll_timeout_ms(std::uint64_t bus_timeout_usec) {
  long long timeout = -1;
  if (bus_timeout_usec != UINT64_MAX) {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    auto now_usec = static_cast<std::uint64_t>(ts.tv_sec) * 1000000ULL + static_cast<std::uint64_t>(ts.tv_nsec) / 1000;
    timeout = bus_timeout_usec > now_usec ? static_cast<long long>((bus_timeout_usec - now_usec + 999) / 1000) : 0;
  }
  std::lock_guard lock(mutex_);
  if (!timers_.empty()) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(timers_.begin()->first - std::chrono::steady_clock::now());
    long long ms = std::max<long long>(0, left.count());
    if (timeout < 0 || ms < timeout) timeout = ms;
  }
  return static_cast<int>(std::min<long long>(timeout, INT_MAX));
}

void EventLoop::run() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal_fd_ = signalfd(-1, &stop_signals, SFD_CLOEXEC | SFD_NONBLOCK);

  for (;;) {
    run_due_jobs();
    {
      std::lock_guard lock(mutex_);
      if (quit_) break;
    }
    // One step, then sleep unless sd-bus already holds more: every extra
    // "anything else?" probe is a syscall, and syscalls dominate a property Get.
    // sdbus-c++ turns only sdbus::Error from a handler into an error reply; anything else
    // unwinds out of sd-bus to here, and sd-bus then refuses every later message (EBUSY).
    // Say what it was and end: a restarted bangerd adopts its VMs, a wedged one helps nobody.
    try {
      connection_.processPendingRequest();
    } catch (const std::exception& e) {
      log::error("bus message handler failed, the bus connection cannot go on: {}", e.what());
      throw;
    }
    auto bus = connection_.getEventLoopPollData();
    if (bus.timeout_usec == 0) continue;
    pollfd fds[3] = {{bus.fd, bus.events, 0}, {wake_fd_, POLLIN, 0}, {signal_fd_, POLLIN, 0}};
    int r = ::poll(fds, 3, poll_timeout_ms(bus.timeout_usec));
    if (r < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "poll");
    if (fds[1].revents & POLLIN) {
      std::uint64_t count = 0;
      (void)!read(wake_fd_, &count, sizeof count);
    }
    if (fds[2].revents & POLLIN) {
      signalfd_siginfo info{};
      (void)!read(signal_fd_, &info, sizeof info);
      log::info("received signal {}, shutting down", info.ssi_signo);
      break;
    }
  }
}

}  // namespace banger
