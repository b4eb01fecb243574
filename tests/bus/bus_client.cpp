#include "bus_client.h"

#include <unistd.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace banger::test {

namespace {
constexpr const char* service = "dev.banger.banger1";
constexpr const char* manager_path = "/dev/banger/banger1";
constexpr const char* manager_iface = "dev.banger.banger1.Manager";
constexpr const char* vm_iface = "dev.banger.banger1.VM";
constexpr const char* object_manager_iface = "org.freedesktop.DBus.ObjectManager";
constexpr const char* properties_iface = "org.freedesktop.DBus.Properties";
using Clock = std::chrono::steady_clock;
}  // namespace

Value to_value(const sdbus::Variant& v) {
  const std::string type = v.peekValueType();
  if (type == "s") return v.get<std::string>();
  if (type == "o") return std::string(v.get<sdbus::ObjectPath>());
  if (type == "b") return v.get<bool>();
  if (type == "d") return v.get<double>();
  if (type == "y") return std::uint64_t{v.get<std::uint8_t>()};
  if (type == "q") return std::uint64_t{v.get<std::uint16_t>()};
  if (type == "u") return std::uint64_t{v.get<std::uint32_t>()};
  if (type == "t") return std::uint64_t{v.get<std::uint64_t>()};
  if (type == "n") return std::int64_t{v.get<std::int16_t>()};
  if (type == "i") return std::int64_t{v.get<std::int32_t>()};
  if (type == "x") return std::int64_t{v.get<std::int64_t>()};
  return "[" + type + "]";
}

std::string to_string(const Value& v) {
  std::ostringstream s;
  std::visit([&](const auto& x) { s << x; }, v);
  return s.str();
}

bool Signal::state_changed_to(const std::string& path_, const std::string& state) const {
  if (path != path_ || member != "PropertiesChanged" || interfaces.empty() || interfaces[0] != vm_iface) return false;
  auto it = properties.find("State");
  return it != properties.end() && it->second == Value{state};
}

SignalRecorder::SignalRecorder(const std::string& address)
    : connection_(sdbus::createSessionBusConnectionWithAddress(address)) {
  // The sender match on the well-known name follows the name to each new owner,
  // so the recorder keeps working across daemon restarts.
  match_ = connection_->addMatch(std::string("type='signal',sender='") + service + "'",
                                 [this](sdbus::Message& msg) { on_signal(msg); });
  connection_->enterEventLoopAsync();
}

SignalRecorder::~SignalRecorder() {
  connection_->leaveEventLoop();
  match_.reset();
}

void SignalRecorder::on_signal(sdbus::Message& msg) {
  Signal s;
  s.path = msg.getPath();
  s.interface = msg.getInterfaceName();
  s.member = msg.getMemberName();
  try {
    if (s.interface == object_manager_iface && s.member == "InterfacesAdded") {
      sdbus::ObjectPath object;
      std::map<std::string, std::map<std::string, sdbus::Variant>> added;
      msg >> object >> added;
      s.object = object;
      for (const auto& [iface, props] : added) {
        s.interfaces.push_back(iface);
        for (const auto& [name, value] : props) s.properties[name] = to_value(value);
      }
    } else if (s.interface == object_manager_iface && s.member == "InterfacesRemoved") {
      sdbus::ObjectPath object;
      msg >> object >> s.interfaces;
      s.object = object;
    } else if (s.interface == properties_iface && s.member == "PropertiesChanged") {
      std::string iface;
      std::map<std::string, sdbus::Variant> changed;
      std::vector<std::string> invalidated;
      msg >> iface >> changed >> invalidated;
      s.interfaces.push_back(iface);
      for (const auto& [name, value] : changed) s.properties[name] = to_value(value);
    } else if (s.member == "StateChanged") {
      std::string old_state, new_state, reason;
      msg >> old_state >> new_state >> reason;
      s.args = {old_state, new_state, reason};
    } else if (s.member == "Finished") {
      std::string error;
      msg >> s.success >> error;
      s.args = {error};
    }
  } catch (const sdbus::Error& e) {
    s.args = {"<undecodable: " + e.getMessage() + ">"};
  }
  std::lock_guard lock(mutex_);
  signals_.push_back(std::move(s));
  arrived_.notify_all();
}

std::optional<Signal> SignalRecorder::wait_for(const Predicate& pred, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  std::size_t checked = 0;
  std::optional<Signal> found;
  arrived_.wait_for(lock, timeout, [&] {
    for (; checked < signals_.size(); ++checked)
      if (pred(signals_[checked])) {
        found = signals_[checked];
        return true;
      }
    return false;
  });
  return found;
}

std::vector<Signal> SignalRecorder::matching(const Predicate& pred) {
  std::lock_guard lock(mutex_);
  std::vector<Signal> out;
  std::copy_if(signals_.begin(), signals_.end(), std::back_inserter(out), pred);
  return out;
}

std::string SignalRecorder::dump() {
  std::lock_guard lock(mutex_);
  std::ostringstream out;
  for (const auto& s : signals_) {
    out << s.path << " " << s.interface << "." << s.member;
    if (!s.object.empty()) out << " object=" << s.object;
    for (const auto& i : s.interfaces) out << " iface=" << i;
    for (const auto& [k, v] : s.properties) out << " " << k << "=" << to_string(v);
    for (const auto& a : s.args) out << " '" << a << "'";
    if (s.member == "Finished") out << (s.success ? " success" : " failure");
    out << "\n";
  }
  return out.str();
}

std::uint64_t SignalRecorder::generation() {
  std::lock_guard lock(mutex_);
  return signals_.size();
}

void SignalRecorder::wait_newer(std::uint64_t seen, Clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  arrived_.wait_until(lock, deadline, [&] { return signals_.size() > seen; });
}

BusClient::BusClient(const std::string& address)
    : connection_(sdbus::createSessionBusConnectionWithAddress(address)),
      manager_(sdbus::createProxy(*connection_, service, manager_path)) {}

std::pair<std::string, std::string> BusClient::create_vm(const std::string& name, const Options& options) {
  sdbus::ObjectPath vm, operation;
  manager_->callMethod("CreateVM").onInterface(manager_iface).withArguments(name, options).storeResultsTo(vm, operation);
  return {vm, operation};
}

std::string BusClient::get_vm(const std::string& ref) {
  sdbus::ObjectPath vm;
  manager_->callMethod("GetVM").onInterface(manager_iface).withArguments(ref).storeResultsTo(vm);
  return vm;
}

std::vector<VmRow> BusClient::list_vms() {
  std::vector<VmRow> rows;
  manager_->callMethod("ListVMs").onInterface(manager_iface).storeResultsTo(rows);
  return rows;
}

void BusClient::vm_call(const std::string& path, const std::string& method) {
  auto proxy = sdbus::createProxy(*connection_, service, path);
  proxy->callMethod(method).onInterface(vm_iface).storeResultsTo();
}

void BusClient::stop(const std::string& path, bool force) {
  auto proxy = sdbus::createProxy(*connection_, service, path);
  proxy->callMethod("Stop").onInterface(vm_iface).withArguments(force).storeResultsTo();
}

std::pair<std::string, std::uint64_t> BusClient::read_console(const std::string& path, std::uint64_t offset,
                                                              std::uint32_t max_bytes) {
  auto proxy = sdbus::createProxy(*connection_, service, path);
  std::vector<std::uint8_t> data;
  std::uint64_t next = 0;
  proxy->callMethod("ReadConsole").onInterface(vm_iface).withArguments(offset, max_bytes).storeResultsTo(data, next);
  return {std::string(data.begin(), data.end()), next};
}

bool BusClient::console_says(const std::string& path, const std::string& text, std::chrono::milliseconds timeout) {
  std::string seen;
  std::uint64_t offset = 0;
  for (auto end = std::chrono::steady_clock::now() + timeout; std::chrono::steady_clock::now() < end;) {
    auto [data, next] = read_console(path, offset, 65536);
    seen += data;
    offset = next;
    if (seen.find(text) != std::string::npos) return true;
    if (data.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

void BusClient::set(const std::string& path, const Options& changes) {
  auto proxy = sdbus::createProxy(*connection_, service, path);
  proxy->callMethod("Set").onInterface(vm_iface).withArguments(changes).storeResultsTo();
}

std::pair<std::string, std::string> BusClient::clone(const std::string& path, const std::string& new_name) {
  auto proxy = sdbus::createProxy(*connection_, service, path);
  sdbus::ObjectPath vm, operation;
  proxy->callMethod("Clone").onInterface(vm_iface).withArguments(new_name).storeResultsTo(vm, operation);
  return {vm, operation};
}

Value BusClient::property(const std::string& path, const std::string& interface, const std::string& name) {
  auto proxy = sdbus::createProxy(*connection_, service, path);
  return to_value(proxy->getProperty(name).onInterface(interface));
}

std::string BusClient::vm_string(const std::string& path, const std::string& name) {
  return to_string(property(path, vm_iface, name));
}

std::uint64_t BusClient::vm_number(const std::string& path, const std::string& name) {
  Value v = property(path, vm_iface, name);
  if (const auto* n = std::get_if<std::uint64_t>(&v)) return *n;
  throw std::runtime_error("property " + name + " is not unsigned: " + to_string(v));
}

std::string BusClient::create_ready(SignalRecorder& recorder, const std::string& name, const Options& options) {
  auto [vm, operation] = create_vm(name, options);
  auto op = operation;
  auto finished = recorder.wait_for(
      [&](const Signal& s) { return s.path == op && s.member == "Finished"; }, 15s);
  if (!finished) throw std::runtime_error("operation " + operation + " of " + name + " did not finish");
  if (!finished->success) throw std::runtime_error("creating " + name + " failed: " + finished->args.at(0));
  if (!wait_state(recorder, vm, "created"))
    throw std::runtime_error(name + " is not created but " + vm_string(vm, "State"));
  return vm;
}

bool BusClient::wait_state(SignalRecorder& recorder, const std::string& path, const std::string& state,
                           std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    auto seen = recorder.generation();
    if (vm_string(path, "State") == state) return true;
    if (Clock::now() >= deadline) return false;
    // Woken by any signal; the slice bounds the wait should a change go unsignalled.
    recorder.wait_newer(seen, std::min(deadline, Clock::now() + 500ms));
  }
}

std::uint32_t max_vcpus(std::uint32_t wanted) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  return cores > 0 ? std::min(wanted, static_cast<std::uint32_t>(cores)) : 1;
}

}  // namespace banger::test
