#pragma once
// Stand-ins of systemd-logind (org.freedesktop.login1) and systemd-machined
// (org.freedesktop.machine1) on the bus tests' private bus, served from the
// test process itself, for bangerd's host integration (issue 16). They answer
// only what bangerd asks and record it:
//   login1   Inhibit(ssss) → h, the InhibitDelayMaxUSec property, and the
//            PrepareForSleep / PrepareForShutdown signals on demand;
//   machine1 CreateMachineWithNetwork, RegisterMachineWithNetwork (both
//            answer MachineExists for a name registered already, as machined
//            does) and UnregisterMachine (NoSuchMachine for an unknown name).
// Each inhibitor lock handed out is the write end of a pipe whose read end
// the fake keeps: the lock counts as held until every copy of it is closed.
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sdbus {
class IConnection;
class IObject;
}  // namespace sdbus

namespace banger::test {

class FakeHostServices {
 public:
  struct MachineCall {
    std::string method;  // CreateMachineWithNetwork | RegisterMachineWithNetwork | UnregisterMachine
    std::string name;
    std::string service;
    std::string machine_class;
    std::uint32_t leader = 0;
    std::string root_directory;
    std::vector<std::int32_t> ifindices;
    std::size_t id_bytes = 0;
    std::vector<std::string> scope_properties;  // their names (CreateMachine*)
    std::string answer;  // "ok" or the error name
  };
  struct Lock {
    std::string what, who, why, mode;
  };

  // Connects to the bus at `address` and takes both names.
  explicit FakeHostServices(const std::string& address);
  ~FakeHostServices();

  std::vector<MachineCall> machine_calls() const;
  std::vector<std::string> machines() const;  // registered now
  std::vector<Lock> held_locks() const;       // inhibitor locks still open
  std::size_t locks_handed_out() const;

  void emit_prepare_for_sleep(bool start);
  void emit_prepare_for_shutdown(bool start);
  void set_inhibit_delay_max(std::chrono::microseconds delay) { delay_usec_ = delay.count(); }

 private:
  void serve();

  std::unique_ptr<sdbus::IConnection> connection_;
  std::unique_ptr<sdbus::IObject> login1_, machine1_;
  mutable std::mutex mutex_;  // the connection (sd-bus is not thread-safe) and the records
  std::vector<MachineCall> calls_;
  std::vector<std::string> machines_;
  struct HandedOut {
    Lock lock;
    int read_end;
  };
  std::vector<HandedOut> locks_;
  std::atomic<std::uint64_t> delay_usec_{5'000'000};
  std::atomic<bool> stop_{false};
  int wake_fd_ = -1;
  std::thread thread_;
};

}  // namespace banger::test
