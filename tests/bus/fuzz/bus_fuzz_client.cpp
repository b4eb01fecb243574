// bus-fuzz-client: sends random and boundary calls to every method of every
// interface bangerd serves (interfaces/*.xml plus the standard ones) on
// $DBUS_SYSTEM_BUS_ADDRESS and checks each answer (reply_check.h).
//
//   bus-fuzz-client XML_DIR SEED CALLS [TIMEOUT_MS]
//
// Output: "calls N", "returns R", "errors E", "max_ms M", one "error NAME COUNT"
// per error name, one "on_target_method INTERFACE.METHOD COUNT" per method
// called with its signature on an object that has its interface, one
// "violation CALL: WHY" per bad answer (the first 50).
// Exit 0: every answer acceptable; 1: violations; 2: could not run.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <systemd/sd-bus.h>

#include "banger/bus_names.h"
#include "introspection.h"
#include "reply_check.h"
#include "values.h"

namespace banger::busfuzz {
namespace {

const std::string service = banger::bus::service_name;
const std::string root = banger::bus::root_path;

struct Message {
  sd_bus_message* m = nullptr;
  ~Message() { sd_bus_message_unref(m); }
};
struct Error {
  sd_bus_error e = SD_BUS_ERROR_NULL;
  ~Error() { sd_bus_error_free(&e); }
};

// The objects bangerd exports now: path → interfaces; names and ids as refs.
struct Objects {
  std::map<std::string, std::set<std::string>> interfaces;
  std::vector<std::string> refs;
};

Objects discover(sd_bus* bus) {
  Objects o;
  o.interfaces[root] = {banger::bus::manager_interface, "org.freedesktop.DBus.ObjectManager"};
  Message reply;
  Error error;
  if (sd_bus_call_method(bus, service.c_str(), root.c_str(), "org.freedesktop.DBus.ObjectManager",
                         "GetManagedObjects", &error.e, &reply.m, "") < 0)
    return o;
  sd_bus_message* m = reply.m;
  sd_bus_message_enter_container(m, 'a', "{oa{sa{sv}}}");
  while (sd_bus_message_enter_container(m, 'e', "oa{sa{sv}}") > 0) {
    const char* path = nullptr;
    sd_bus_message_read_basic(m, 'o', &path);
    auto& ifaces = o.interfaces[path];
    sd_bus_message_enter_container(m, 'a', "{sa{sv}}");
    while (sd_bus_message_enter_container(m, 'e', "sa{sv}") > 0) {
      const char* iface = nullptr;
      sd_bus_message_read_basic(m, 's', &iface);
      ifaces.insert(iface);
      sd_bus_message_enter_container(m, 'a', "{sv}");
      while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
        const char* name = nullptr;
        const char* value = nullptr;
        sd_bus_message_read_basic(m, 's', &name);
        if ((std::string(name) == "Id" || std::string(name) == "Name") &&
            sd_bus_message_read(m, "v", "s", &value) > 0)
          o.refs.emplace_back(value);
        else
          sd_bus_message_skip(m, "v");
        sd_bus_message_exit_container(m);
      }
      sd_bus_message_exit_container(m);
      sd_bus_message_exit_container(m);
    }
    sd_bus_message_exit_container(m);
    sd_bus_message_exit_container(m);
  }
  return o;
}

class Fuzzer {
 public:
  Fuzzer(sd_bus* bus, std::vector<Interface> interfaces, const std::vector<std::string>& documented_errors,
         std::uint64_t seed, std::uint64_t timeout_ms)
      : bus_(bus), interfaces_(std::move(interfaces)), check_(interfaces_, documented_errors), rng_(seed), values_(rng_, pools_),
        timeout_us_(timeout_ms * 1000) {
    for (const auto& i : interfaces_) {
      pools_.interfaces.push_back(i.name);
      for (const auto& m : i.methods) methods_.push_back(&m);
      for (const auto& p : i.properties) pools_.properties.push_back(p.name);
    }
    pools_.dev_null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  }

  void run(std::uint64_t calls) {
    // Only calls sent count; a value sd-bus refuses to marshal is drawn again.
    for (std::uint64_t attempt = 0; calls_ < calls && !lost_ && attempt < 3 * calls; ++attempt) {
      if (attempt % 100 == 0) refresh();
      one_call();
    }
  }

  int report() const {
    std::cout << "calls " << calls_ << "\non_target " << on_target_ << "\nreturns " << returns_ << "\nerrors "
              << errors_ << "\nunsendable " << unsendable_ << "\nmax_ms " << max_ms_ << "\n";
    for (const auto& [name, n] : error_names_) std::cout << "error " << name << " " << n << "\n";
    for (const auto& [method, n] : on_target_by_method_) std::cout << "on_target_method " << method << " " << n << "\n";
    for (std::size_t i = 0; i < violations_.size() && i < 50; ++i) std::cout << "violation " << violations_[i] << "\n";
    std::cout << "violations " << violations_.size() << "\n";
    return violations_.empty() ? 0 : 1;
  }

 private:
  void refresh() {
    objects_ = discover(bus_);
    if (::getuid() == 0 && count_having(banger::bus::vm_interface) < 2) {
      // Root deletes VMs as fast as anything: keep some for the VM methods to hit.
      Error error;
      const std::string name = "fzvm" + std::to_string(created_++);
      sd_bus_call_method(bus_, service.c_str(), root.c_str(), banger::bus::manager_interface, "CreateVM", &error.e,
                         nullptr, "sa{sv}", name.c_str(), 0);
      objects_ = discover(bus_);
    }
    if (::getuid() == 0 && count_having(banger::bus::snapshot_interface) < 1) take_a_snapshot();
    pools_.object_paths.clear();
    for (const auto& [path, _] : objects_.interfaces) pools_.object_paths.push_back(path);
    pools_.refs = objects_.refs;
  }

  // Root deletes and restores checkpoints too: one more, of some VM, so that
  // Snapshot.Restore and Delete meet real objects (it appears once its Operation
  // finishes, by the next refresh; a VM in a state that refuses is no matter).
  void take_a_snapshot() {
    std::vector<std::string> vms;
    for (const auto& [path, ifaces] : objects_.interfaces)
      if (ifaces.count(banger::bus::vm_interface)) vms.push_back(path);
    if (vms.empty()) return;
    Error error;
    // Each batch is a process of its own: the pid keeps the names apart (AlreadyExists would make none).
    const std::string name = "fzsnap-" + std::to_string(::getpid()) + "-" + std::to_string(snapshots_taken_++);
    sd_bus_call_method(bus_, service.c_str(), vms[pick(vms.size())].c_str(), banger::bus::vm_interface, "Snapshot",
                       &error.e, nullptr, "sa{sv}", name.c_str(), 0);
  }

  std::size_t count_having(const std::string& interface) const {
    std::size_t n = 0;
    for (const auto& [_, ifaces] : objects_.interfaces) n += ifaces.count(interface);
    return n;
  }

  std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }

  // Mostly an object that has the interface; else any object or none at all.
  std::string path_for(const std::string& interface) {
    std::vector<std::string> having;
    for (const auto& [path, ifaces] : objects_.interfaces)
      if (ifaces.count(interface) || interface.rfind("org.freedesktop.DBus.", 0) == 0) having.push_back(path);
    if (!having.empty() && chance(0.8)) return having[pick(having.size())];
    return values_.object_path();
  }

  void one_call() {
    Call call;
    const double roll = std::uniform_real_distribution<double>(0, 1)(rng_);
    if (roll < 0.03) {  // a method no interface has
      call.interface = pools_.interfaces[pick(pools_.interfaces.size())];
      call.member = "NoSuchMethod" + std::to_string(pick(10));
    } else if (roll < 0.05) {  // an interface nobody implements
      call.interface = "dev.banger.banger1.Nothing";
      call.member = "Get";
    } else {
      call.method = methods_[pick(methods_.size())];
      call.interface = call.method->interface;
      call.member = call.method->name;
    }
    call.path = path_for(call.interface);
    call.signature = call.method && chance(0.75) ? call.method->in
                     : call.method                ? values_.wrong_signature(call.method->in)
                                                  : values_.random_type();

    values_.start_message();
    Message m;
    if (sd_bus_message_new_method_call(bus_, &m.m, service.c_str(), call.path.c_str(), call.interface.c_str(),
                                       call.member.c_str()) < 0 ||
        fill(m.m, call) < 0) {
      // A value sd-bus refuses to marshal (a message over its size limit): nothing was sent.
      if (unsendable_++ < 3) std::cerr << "not marshallable: " << describe(call) << "\n";
      return;
    }
    sd_bus_message_set_allow_interactive_authorization(m.m, chance(0.5));
    if (call.method && call.signature == call.method->in) {
      auto it = objects_.interfaces.find(call.path);
      if (it != objects_.interfaces.end() && it->second.count(call.interface)) {
        ++on_target_;
        ++on_target_by_method_[call.interface + "." + call.member];
      }
    }
    send(call, m.m);
  }

  int fill(sd_bus_message* m, Call& call) {
    const bool properties = call.interface == "org.freedesktop.DBus.Properties";
    auto types = split_signature(call.signature);
    for (std::size_t i = 0; i < types.size(); ++i) {
      int r;
      if (properties && types[i] == "s" && i < 2) {
        // The interface and property arguments: mostly real names.
        std::string v = i == 0 ? values_.interface_name() : values_.property_name();
        (i == 0 ? call.property_interface : call.property_name) = v;
        r = sd_bus_message_append_basic(m, 's', v.c_str());
      } else {
        r = values_.append(m, types[i]);
      }
      if (r < 0) return r;
    }
    return 0;
  }

  void send(const Call& call, sd_bus_message* m) {
    Message reply;
    Error error;
    const auto start = std::chrono::steady_clock::now();
    const int r = sd_bus_call(bus_, m, timeout_us_, &error.e, &reply.m);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    max_ms_ = std::max<std::uint64_t>(max_ms_, static_cast<std::uint64_t>(ms.count()));
    ++calls_;
    std::string why;
    if (r >= 0) {
      ++returns_;
      why = check_.check_return(call, reply.m);
    } else {
      ++errors_;
      const std::string name = error.e.name ? error.e.name : "(errno " + std::to_string(-r) + ")";
      ++error_names_[name];
      why = check_.check_error(call, error.e);
    }
    if (!why.empty()) violations_.push_back(describe(call) + ": " + why.substr(0, 500));
    // The bus dropped this client: later calls would only repeat that.
    if (r == -ECONNRESET || r == -ENOTCONN) lost_ = true;
  }

  sd_bus* bus_;
  std::vector<Interface> interfaces_;
  std::vector<const Method*> methods_;
  ReplyCheck check_;
  std::mt19937_64 rng_;
  Pools pools_;
  ValueGenerator values_;
  Objects objects_;
  std::uint64_t timeout_us_;

  bool lost_ = false;
  std::uint64_t created_ = 0, snapshots_taken_ = 0, on_target_ = 0;
  std::map<std::string, std::uint64_t> on_target_by_method_;  // interface.method: calls with the right signature
  std::uint64_t calls_ = 0, returns_ = 0, errors_ = 0, unsendable_ = 0, max_ms_ = 0;
  std::map<std::string, std::uint64_t> error_names_;
  std::vector<std::string> violations_;
};

}  // namespace
}  // namespace banger::busfuzz

int main(int argc, char** argv) {
  using namespace banger::busfuzz;
  if (argc < 4) {
    std::cerr << "usage: bus-fuzz-client XML_DIR SEED CALLS [TIMEOUT_MS]\n";
    return 2;
  }
  try {
    auto interfaces = read_interfaces(argv[1]);
    for (auto& i : standard_interfaces()) interfaces.push_back(std::move(i));
    sd_bus* bus = nullptr;
    if (int r = sd_bus_open_system(&bus); r < 0) {
      std::cerr << "cannot connect to the bus: " << -r << "\n";
      return 2;
    }
    Fuzzer fuzzer(bus, std::move(interfaces), read_documented_errors(argv[1]), std::strtoull(argv[2], nullptr, 10),
                  argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 20000);
    fuzzer.run(std::strtoull(argv[3], nullptr, 10));
    const int status = fuzzer.report();
    sd_bus_flush_close_unref(bus);
    return status;
  } catch (const std::exception& e) {
    std::cerr << "bus-fuzz-client: " << e.what() << "\n";
    return 2;
  }
}
