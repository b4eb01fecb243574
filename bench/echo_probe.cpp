#include "echo_probe.h"

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <regex>
#include <stdexcept>

#include <fmt/format.h>

#include "bench_support.h"

namespace banger::bench {

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

EchoProbe::EchoProbe(const test::ScopedNetns& netns, const std::string& address, const std::filesystem::path& log)
    : log_(log) {
  // Root may ping at this interval; -W: a reply that waited out a long pause still counts.
  pid_ = spawn({"/usr/sbin/ip", "netns", "exec", netns.name(), "ping", "-n", "-D", "-W", "30", "-i",
                fmt::format("{}", interval_s), address},
               log_);
  if (pid_ < 0) throw std::runtime_error("cannot start ping");
}

EchoProbe::~EchoProbe() {
  if (pid_ > 0) stop_process(pid_);
}

std::vector<double> EchoProbe::stop() {
  ::kill(pid_, SIGINT);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  std::vector<double> arrivals;
  std::ifstream in(log_);
  const std::regex reply(R"(^\[(\d+\.\d+)\] \d+ bytes from )");
  std::smatch m;
  for (std::string line; std::getline(in, line);)
    if (std::regex_search(line, m, reply)) arrivals.push_back(std::stod(m[1]));
  std::sort(arrivals.begin(), arrivals.end());
  return arrivals;
}

double longest_silence(const std::vector<double>& arrivals, double from, double to) {
  const bool before = std::any_of(arrivals.begin(), arrivals.end(), [&](double t) { return t < from; });
  const bool after = std::any_of(arrivals.begin(), arrivals.end(), [&](double t) { return t > to; });
  if (!before || !after)
    throw std::runtime_error(fmt::format("the echo probe saw no reply {} the operation ({} replies in all)",
                                         before ? "after" : "before", arrivals.size()));
  double longest = 0;
  for (std::size_t i = 1; i < arrivals.size(); ++i)
    if (arrivals[i] >= from && arrivals[i - 1] <= to) longest = std::max(longest, arrivals[i] - arrivals[i - 1]);
  return longest;
}

}  // namespace banger::bench
