#pragma once
// The pieces of the bus concurrency test (test_concurrency.cpp): what each client
// was told, the shared set of VMs the clients pick from, and a watchdog that ends
// the run with a thread dump of bangerd when calls stop completing.
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace banger::test {

using Clock = std::chrono::steady_clock;

// One call and what bangerd answered.
struct CallRecord {
  std::string client;  // "root-1", "banger-op", "banger-eve" …
  std::string method;  // Start, Stop, Restart, Kill, Set, Touch, Delete, Clone, CreateVM
  std::string path;    // the VM called (CreateVM, Clone: the new VM when it succeeded)
  Clock::time_point begin, end;
  bool ok = false;
  std::string error;  // D-Bus error name when !ok
};

// The VM paths the clients choose from; a successful Delete takes one out, CreateVM
// and Clone put one in.
class SharedVms {
 public:
  void add(const std::string& path);
  void remove(const std::string& path);
  std::string pick(std::mt19937& random);  // "" when empty
  std::size_t size();

 private:
  std::mutex mutex_;
  std::vector<std::string> paths_;
};

// Every client's records, and the time of the last completed call (for the watchdog).
class CallLog {
 public:
  void add(CallRecord record);
  std::vector<CallRecord> all();
  Clock::time_point last_completion() const { return Clock::time_point(Clock::duration(last_.load())); }

 private:
  std::mutex mutex_;
  std::vector<CallRecord> records_;
  std::atomic<Clock::rep> last_{Clock::now().time_since_epoch().count()};
};

// Fails the run when no call completed for `stall` or the run took longer than `bound`:
// prints what it saw and a thread dump of bangerd (gdb, else /proc/PID/task/*), then
// ends the test process (a hung call cannot be joined), which meson counts as a failure.
class Watchdog {
 public:
  Watchdog(const CallLog& log, pid_t daemon, std::chrono::seconds stall, std::chrono::seconds bound);
  ~Watchdog();  // stops watching
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  void watch();
  [[noreturn]] void fire(const std::string& why);

  const CallLog& log_;
  pid_t daemon_;
  std::chrono::seconds stall_, bound_;
  Clock::time_point started_ = Clock::now();
  std::mutex mutex_;
  std::condition_variable stop_wake_;
  bool stop_ = false;
  std::thread thread_;
};

// The state a successful call leaves its VM in; "" for calls that leave it as it was.
std::string implied_state(const std::string& method);

// Seconds from the environment variable `name`, else `fallback`.
std::chrono::seconds seconds_from_env(const char* name, std::chrono::seconds fallback);

}  // namespace banger::test
