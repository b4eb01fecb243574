#include "guest_bench.h"

#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <stdexcept>

#include <fmt/format.h>

#include "bangerd_netns.h"
#include "../tests/qemu/default_image.h"

namespace banger::bench {

using namespace std::chrono_literals;

void must(const test::RunResult& r, const std::string& what) {
  if (!r.ok()) throw std::runtime_error(what + " failed:\n" + r.describe());
}

double seconds_of(const std::function<void()>& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

test::RunResult GuestBench::ctl(std::vector<std::string> args) {
  args.insert(args.begin(), {env_.bangerctl(), "--no-progress"});
  return env_.run_as("", args, 600s);
}

std::string GuestBench::ssh_to(const std::string& address) const {
  return "ssh -i " + (env_.dir() / "state" / "ssh" / "id_ed25519").string() +
         " -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes"
         " -o ConnectTimeout=10 -o LogLevel=ERROR root@" + address;
}

std::string GuestBench::in_guest(const std::string& address, const std::string& command) {
  auto r = netns_.exec(ssh_to(address) + " '" + command + "' 2>&1");
  if (r.status != 0) throw std::runtime_error("in the guest: " + command + ":\n" + r.out);
  return trimmed(r.out);
}

int run_guest_bench(const std::string& name, const std::vector<std::string>& programs,
                    const std::function<void(GuestBench&)>& body) {
  ::setenv("BANGER_BANGERD", BANGERD_PATH, 1);
  ::setenv("BANGER_BANGERCTL", BANGERCTL_PATH, 1);
  ::setenv("BANGER_BUS_PROBE", BUS_PROBE_PATH, 1);
  ::setenv("BANGER_SOURCE_ROOT", BANGER_SOURCE_ROOT, 1);
  ::setenv("BANGER_BUS_DAEMON_CONFIG", BANGER_SOURCE_ROOT "/tests/qemu/bangerd-qemu.toml", 1);
  ::setenv("BANGER_IMAGE_SCRIPT", BANGER_SOURCE_ROOT "/scripts/build-default-image.sh", 1);
  ::setenv("BANGER_IMAGE_DIR", BANGER_IMAGE_DIR, 1);
  if (auto why = test::BusEnvironment::skip_reason(); !why.empty()) {
    std::cout << name << ": skipped: " << why << "\n";
    return 77;  // skipped, as the tests do (bench-all reports it)
  }
  std::string why;
  auto netns = test::bangerd_netns({.programs = programs, .devices = {"/dev/net/tun"}}, why);
  if (!netns) {
    std::cout << name << ": skipped: " << why << "\n";
    return 77;
  }
  netns->ip("link set lo up");
  try {
    test::BusEnvironment env;
    env.start();
    GuestBench bench(env, *netns);
    must(test::build_and_import_default_image(env), "the default image");
    body(bench);
  } catch (const std::exception& e) {
    std::cerr << name << ": " << e.what() << "\n";
    return 1;
  }
  return 0;
}

double best(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string list(const std::vector<double>& v, int decimals) {
  std::string out;
  for (double x : v) out += fmt::format("{}{:.{}f}", out.empty() ? "" : " ", x, decimals);
  return out;
}

}  // namespace banger::bench
