#pragma once
// How long a running guest stops answering, seen from outside it: `ping -D` at a
// short interval from the guests' network namespace, every reply stamped with the
// host's wall clock as it arrives. A paused guest answers nothing (its packets
// wait in the tap until its vCPUs run again), so the longest silence between two
// replies around an operation is how long the guest was stopped, give or take one
// probe interval and a round trip. The guest's own clocks cannot tell: QEMU stops
// them with its vCPUs.
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "netns.h"

namespace banger::bench {

// Seconds since the epoch on the host's wall clock, as ping -D stamps replies.
double wall_seconds();

class EchoProbe {
 public:
  static constexpr double interval_s = 0.005;

  // Starts pinging `address` from inside `netns`; output to `log`.
  EchoProbe(const test::ScopedNetns& netns, const std::string& address, const std::filesystem::path& log);
  ~EchoProbe();
  EchoProbe(const EchoProbe&) = delete;
  EchoProbe& operator=(const EchoProbe&) = delete;

  // Ends ping (SIGINT, so it flushes its output) and returns each reply's arrival (wall_seconds).
  std::vector<double> stop();

 private:
  pid_t pid_ = -1;
  std::filesystem::path log_;
};

// The longest gap between consecutive replies that overlaps [from, to]. Throws
// when no reply came before `from` or none after `to`: the probe did not see the
// guest on both sides, so a gap would mean nothing.
double longest_silence(const std::vector<double>& arrivals, double from, double to);

}  // namespace banger::bench
