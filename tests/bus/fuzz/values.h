#pragma once
// Random and boundary values of any D-Bus type, appended straight to an sd-bus
// message: empty, huge (1 MiB) and odd-but-valid UTF-8 strings, names with '/'
// and '..', 0/max/-1 numbers, dictionaries with known and unknown keys and
// values of the wrong variant type, huge arrays, /dev/null as a unix fd.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <systemd/sd-bus.h>

namespace banger::busfuzz {

struct Pools {
  std::vector<std::string> object_paths;  // that exist (VMs, images, networks, operations, the root)
  std::vector<std::string> refs;          // names, ids and id prefixes of existing objects
  std::vector<std::string> interfaces;    // interface names, for Properties calls
  std::vector<std::string> properties;    // property names of every interface
  int dev_null_fd = -1;                   // passed wherever a unix fd goes
};

class ValueGenerator {
 public:
  ValueGenerator(std::mt19937_64& rng, const Pools& pools) : rng_(rng), pools_(pools) {}

  // Starts a new message: its strings may hold `bytes` in all, and it carries at
  // most `fds` unix fds. dbus-daemon drops the connection of a client that goes
  // over its message limits instead of answering, so a message stays below them.
  void start_message(std::size_t bytes = 4 << 20, int fds = 4) {
    budget_ = bytes;
    fds_ = fds;
  }
  // Appends one value of the complete type `type`; an sd-bus errno (< 0) on failure.
  int append(sd_bus_message* m, const std::string& type);
  // A random complete type (depth-limited), for wrong signatures and variants.
  std::string random_type(int depth = 0);
  // A signature that differs from `right`: an argument missing, one too many,
  // one of the wrong type, or a random one.
  std::string wrong_signature(const std::string& right);

  std::string string_value();
  std::string object_path();
  std::string interface_name();
  std::string property_name();

 private:
  int append_basic(sd_bus_message* m, char type);
  int append_array(sd_bus_message* m, const std::string& element);
  int append_options(sd_bus_message* m);  // a{sv}
  int append_option_value(sd_bus_message* m, const std::string& key);
  std::string option_key();
  std::string junk_utf8(std::size_t length);
  std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  std::uint64_t number(std::uint64_t max);  // boundaries mostly, uniform sometimes

  std::mt19937_64& rng_;
  const Pools& pools_;
  std::size_t budget_ = 4 << 20;
  int fds_ = 4;
};

}  // namespace banger::busfuzz
