#pragma once
// What the benches of a real guest share (bench-workspace, bench-suspend): the
// real bangerd in a network namespace of its own on a private bus (the bus
// tests' harness), the default image imported, and `bangerctl` and SSH into a
// guest from that namespace. The paths come from bench/meson.build.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bus_environment.h"
#include "netns.h"

namespace banger::bench {

void must(const test::RunResult& r, const std::string& what);
double seconds_of(const std::function<void()>& f);
std::string trimmed(std::string s);

class GuestBench {
 public:
  GuestBench(test::BusEnvironment& env, test::ScopedNetns& netns) : env_(env), netns_(netns) {}

  test::BusEnvironment& env() { return env_; }
  test::ScopedNetns& netns() { return netns_; }
  // `bangerctl --no-progress ARGS…` as root.
  test::RunResult ctl(std::vector<std::string> args);
  // The ssh command line (no command) that logs into the guest at `address` with bangerd's key.
  std::string ssh_to(const std::string& address) const;
  // Runs `command` in that guest; its output, trimmed. Throws when it fails.
  std::string in_guest(const std::string& address, const std::string& command);

 private:
  test::BusEnvironment& env_;
  test::ScopedNetns& netns_;
};

// main() of such a bench: skips (77) where the bus tests would, brings up the
// namespace (with `programs` there) and bangerd, imports the default image, runs
// `body`; 1 when it throws (the message on stderr), else 0.
int run_guest_bench(const std::string& name, const std::vector<std::string>& programs,
                    const std::function<void(GuestBench&)>& body);

// The rounds' figures: the best, the median, and all of them ("0.512 0.498 …").
double best(const std::vector<double>& v);
double median(std::vector<double> v);
std::string list(const std::vector<double>& v, int decimals = 3);

}  // namespace banger::bench
