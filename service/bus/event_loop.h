#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <vector>

namespace sdbus {
class IConnection;
}

namespace banger {

// The bus thread. sd-bus connections are not thread-safe, so every use of the
// connection (replies, signals, exporting objects) happens here; worker threads
// hand work over with post(). Also ends on SIGTERM/SIGINT.
class EventLoop {
 public:
  explicit EventLoop(sdbus::IConnection& connection);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Thread-safe.
  void post(std::function<void()> job);
  void post_after(std::chrono::milliseconds delay, std::function<void()> job);
  void quit();

  // Blocks SIGTERM/SIGINT for the calling thread and runs until quit() or a signal.
  void run();

 private:
  void run_due_jobs();
  int poll_timeout_ms(std::uint64_t bus_timeout_usec);

  sdbus::IConnection& connection_;
  int wake_fd_ = -1;
  int signal_fd_ = -1;
  std::mutex mutex_;
  std::vector<std::function<void()>> jobs_;
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> timers_;
  bool quit_ = false;
};

}  // namespace banger
