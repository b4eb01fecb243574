#pragma once
// An in-test sdbus-c++ client on the private bus: typed calls to bangerd (as
// root, the test process's uid) and a recorder of every signal bangerd emits.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <sdbus-c++/sdbus-c++.h>

namespace banger::test {

using namespace std::chrono_literals;

// A property value without sdbus types: s/o → string, integers → uint64 or
// int64, b → bool, d → double; anything else → its signature in brackets.
using Value = std::variant<std::string, std::uint64_t, std::int64_t, bool, double>;
Value to_value(const sdbus::Variant& v);
std::string to_string(const Value& v);

struct Signal {
  std::string path;       // the emitting object
  std::string interface;  // of the signal
  std::string member;
  // InterfacesAdded / InterfacesRemoved: the object and its interfaces.
  std::string object;
  std::vector<std::string> interfaces;
  // InterfacesAdded: properties of every announced interface;
  // PropertiesChanged: the changed properties (interfaces[0] is the interface).
  std::map<std::string, Value> properties;
  std::vector<std::string> args;  // StateChanged: old, new, reason; Finished: error
  bool success = false;           // Finished

  bool state_changed_to(const std::string& path_, const std::string& state) const;
};

class SignalRecorder {
 public:
  explicit SignalRecorder(const std::string& address);
  ~SignalRecorder();
  SignalRecorder(const SignalRecorder&) = delete;
  SignalRecorder& operator=(const SignalRecorder&) = delete;

  using Predicate = std::function<bool(const Signal&)>;
  // The first recorded signal (past or future) matching `pred`, waiting up to `timeout`.
  std::optional<Signal> wait_for(const Predicate& pred, std::chrono::milliseconds timeout = 10s);
  std::vector<Signal> matching(const Predicate& pred);
  std::string dump();  // every recorded signal, for failure messages

  std::uint64_t generation();
  // Waits until a signal newer than `seen` arrived or `deadline` passed.
  void wait_newer(std::uint64_t seen, std::chrono::steady_clock::time_point deadline);

 private:
  void on_signal(sdbus::Message& msg);

  std::unique_ptr<sdbus::IConnection> connection_;
  sdbus::Slot match_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<Signal> signals_;
};

using VmRow = sdbus::Struct<std::string, std::string, std::string, sdbus::ObjectPath>;
using Options = std::map<std::string, sdbus::Variant>;

class BusClient {
 public:
  explicit BusClient(const std::string& address);

  // CreateVM → (vm path, operation path).
  std::pair<std::string, std::string> create_vm(const std::string& name, const Options& options = {});
  std::string get_vm(const std::string& ref);
  std::vector<VmRow> list_vms();
  void vm_call(const std::string& path, const std::string& method);  // Start, Restart, Kill, Delete, Touch
  void stop(const std::string& path, bool force = false);
  void set(const std::string& path, const Options& changes);
  // VM.Clone → (the new VM's path, the Operation its creation goes on in).
  std::pair<std::string, std::string> clone(const std::string& path, const std::string& new_name);
  // VM.ReadConsole → (data, next_offset).
  std::pair<std::string, std::uint64_t> read_console(const std::string& path, std::uint64_t offset,
                                                     std::uint32_t max_bytes);
  // Follows the console log from its start until it holds `text`; false on timeout.
  bool console_says(const std::string& path, const std::string& text, std::chrono::milliseconds timeout);
  Value property(const std::string& path, const std::string& interface, const std::string& name);
  std::string vm_string(const std::string& path, const std::string& name);
  std::uint64_t vm_number(const std::string& path, const std::string& name);

  // Creates a VM and waits until its Operation finished and it is "created".
  std::string create_ready(SignalRecorder& recorder, const std::string& name, const Options& options = {});
  // Polls State on every signal until it equals `state`; false on timeout.
  bool wait_state(SignalRecorder& recorder, const std::string& path, const std::string& state,
                  std::chrono::milliseconds timeout = 15s);

 private:
  std::unique_ptr<sdbus::IConnection> connection_;
  std::unique_ptr<sdbus::IProxy> manager_;
};

// Runs `f`; the D-Bus error it failed with, or nullopt when it succeeded.
template <typename F>
std::optional<sdbus::Error> error_of(F&& f) {
  try {
    std::forward<F>(f)();
  } catch (const sdbus::Error& e) {
    return e;
  }
  return std::nullopt;
}

// How many vCPUs the host lets a VM have (bangerd caps vcpus at the host cores).
std::uint32_t max_vcpus(std::uint32_t wanted);

}  // namespace banger::test
