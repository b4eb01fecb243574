// Suspend to disk against a cold boot (issue 19's figures), side by side in one
// run, on one VM: the default image with a 256 MiB guest under QEMU (TCG here).
// The real bangerd runs in a network namespace of its own on a private bus (the
// bus tests' harness, as bench-workspace); every step is a `bangerctl` command
// timed by its wall time, so each figure is what a user waits for:
//   cold     `bangerctl start` of the stopped VM (it returns once the guest's SSH answers);
//   save     `bangerctl suspend` (guest paused, memory and devices saved, VMM gone);
//   resume   `bangerctl start` of the suspended VM (restored, SSH answers again).
// Each round does all three in that order, so cold and resume see the same load
// on this shared machine. The saved state's size is what it occupies on disk
// (allocated blocks, so pages QEMU never wrote cost nothing) against the guest's memory.
// A restore that silently booted afresh (bangerd boots cold when a saved state will
// not load) would make a fine-looking figure of the wrong thing, so every resume is
// checked: the guest's boot_id and a file in a tmpfs written before the suspend must
// both be there after it; if not, the bench fails (exit 1, no figures).
// Targets: resume ≤ 0.15× cold; suspend ≤ 1 s; saved state ≤ 0.5× guest memory.

#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bangerd_netns.h"
#include "bench_support.h"
#include "bus_environment.h"
#include "../tests/qemu/default_image.h"

using namespace banger::test;
namespace fs = std::filesystem;

namespace {

constexpr unsigned kMemoryMiB = 256;
const int kRounds = banger::bench::count(5, 1);

void must(const RunResult& r, const std::string& what) {
  if (!r.ok()) throw std::runtime_error(what + " failed:\n" + r.describe());
}

double seconds_of(const std::function<void()>& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double best(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

struct DiskUse {
  std::uint64_t allocated = 0;  // st_blocks × 512: what the disk really holds
  std::uint64_t apparent = 0;   // st_size: what the files claim
  int files = 0;
};

DiskUse disk_use(const fs::path& dir) {
  DiskUse use;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    struct stat st{};
    if (::lstat(entry.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    use.allocated += static_cast<std::uint64_t>(st.st_blocks) * 512;
    use.apparent += static_cast<std::uint64_t>(st.st_size);
    ++use.files;
  }
  return use;
}

double mib(std::uint64_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

std::string list(const std::vector<double>& v) {
  std::string out;
  for (double x : v) out += fmt::format("{}{:.3f}", out.empty() ? "" : " ", x);
  return out;
}

}  // namespace

int main() {
  ::setenv("BANGER_BANGERD", BANGERD_PATH, 1);
  ::setenv("BANGER_BANGERCTL", BANGERCTL_PATH, 1);
  ::setenv("BANGER_BUS_PROBE", BUS_PROBE_PATH, 1);
  ::setenv("BANGER_SOURCE_ROOT", BANGER_SOURCE_ROOT, 1);
  ::setenv("BANGER_BUS_DAEMON_CONFIG", BANGER_SOURCE_ROOT "/tests/qemu/bangerd-qemu.toml", 1);
  ::setenv("BANGER_IMAGE_SCRIPT", BANGER_SOURCE_ROOT "/scripts/build-default-image.sh", 1);
  ::setenv("BANGER_IMAGE_DIR", BANGER_IMAGE_DIR, 1);
  if (auto why = BusEnvironment::skip_reason(); !why.empty()) {
    std::cout << "bench-suspend: skipped: " << why << "\n";
    return 77;  // skipped, as the tests do (bench-all reports it)
  }
  std::string why;
  auto netns = bangerd_netns({.programs = {"nft", "ssh"}, .devices = {"/dev/net/tun"}}, why);
  if (!netns) {
    std::cout << "bench-suspend: skipped: " << why << "\n";
    return 77;
  }
  netns->ip("link set lo up");
  try {
    BusEnvironment env;
    env.start();
    auto ctl = [&env](std::vector<std::string> args) {
      args.insert(args.begin(), {env.bangerctl(), "--no-progress"});
      return env.run_as("", args, 600s);
    };
    auto show = [&] {
      auto shown = ctl({"show", "bench-suspend", "--json"});
      must(shown, "show");
      return nlohmann::json::parse(shown.out);
    };
    must(build_and_import_default_image(env), "the default image");
    must(ctl({"create", "bench-suspend", "--memory", std::to_string(kMemoryMiB)}), "create");
    const auto vm = show();
    const auto id = vm.at("id").get<std::string>();
    const auto address = vm.at("ipv4_address").get<std::string>();
    const fs::path saved_dir = env.dir() / "state" / "saved-states" / id;
    const std::string ssh = "ssh -i " + (env.dir() / "state" / "ssh" / "id_ed25519").string() +
                            " -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes"
                            " -o ConnectTimeout=10 -o LogLevel=ERROR root@" + address;
    auto in_guest = [&](const std::string& command) {
      auto r = netns->exec(ssh + " '" + command + "' 2>&1");
      if (r.status != 0) throw std::runtime_error("in the guest: " + command + ":\n" + r.out);
      return trimmed(r.out);
    };
    auto expect_state = [&](const std::string& state, const std::string& after) {
      const auto now = show();
      if (now.at("state") != state)
        throw std::runtime_error(fmt::format("after {}: the VM is {}, not {} (last error: {})", after,
                                             now.at("state").get<std::string>(), state,
                                             now.at("last_error").get<std::string>()));
      return now;
    };

    // The VM's first start is not a round: it makes the guest's first-boot state
    // (dropbear's host keys under TCG, …) that every later boot finds made.
    const double first_s = seconds_of([&] { must(ctl({"start", "bench-suspend"}), "first start"); });
    std::string boot = in_guest("cat /proc/sys/kernel/random/boot_id");
    std::cerr << fmt::format("bench-suspend: guest {} up (first start {:.2f} s, not counted)\n", address, first_s);
    must(ctl({"stop", "bench-suspend"}), "stop");

    std::vector<double> cold_s, save_s, resume_s;
    std::vector<DiskUse> saved;
    std::vector<std::uint64_t> guest_used_kib;
    std::mt19937_64 random(std::random_device{}());
    for (int round = 0; round < kRounds; ++round) {
      std::cerr << "bench-suspend: round " << round + 1 << " of " << kRounds << "\n";
      cold_s.push_back(seconds_of([&] { must(ctl({"start", "bench-suspend"}), "cold start"); }));
      expect_state("running", "a cold start");
      const auto cold_boot = in_guest("cat /proc/sys/kernel/random/boot_id");
      if (cold_boot == boot) throw std::runtime_error("a cold start kept the previous boot_id: the VM never stopped");
      boot = cold_boot;

      // What only this boot's memory holds: a token in a tmpfs.
      const auto token = fmt::format("{:016x}", random());
      in_guest("mkdir -p /mnt/bench && mount -t tmpfs bench /mnt/bench && echo " + token + " > /mnt/bench/token");
      guest_used_kib.push_back(std::stoull(in_guest(
          "awk \"/^MemTotal:/ {t=\\$2} /^MemAvailable:/ {a=\\$2} END {print t-a}\" /proc/meminfo")));

      save_s.push_back(seconds_of([&] { must(ctl({"suspend", "bench-suspend"}), "suspend"); }));
      const auto suspended = expect_state("suspended", "suspend");
      if (!fs::is_directory(saved_dir)) throw std::runtime_error("no saved state at " + saved_dir.string());
      saved.push_back(disk_use(saved_dir));
      if (round == 0) std::cerr << "bench-suspend: bangerd says: " << suspended.at("last_error").get<std::string>() << "\n";

      resume_s.push_back(seconds_of([&] { must(ctl({"start", "bench-suspend"}), "start of the suspended VM"); }));
      const auto resumed = expect_state("running", "the start of the suspended VM");
      // The restore must have restored: the same boot, the tmpfs token still there.
      const auto resumed_boot = in_guest("cat /proc/sys/kernel/random/boot_id");
      const auto resumed_token = in_guest("cat /mnt/bench/token 2>&1 || true");
      if (resumed_boot != boot || resumed_token != token)
        throw std::runtime_error(fmt::format(
            "the start of the suspended VM did not restore it: boot_id {} → {}, tmpfs token {} → '{}' (last error: {})",
            boot, resumed_boot, token, resumed_token, resumed.at("last_error").get<std::string>()));
      if (fs::exists(saved_dir / "manifest"))
        throw std::runtime_error("the saved state's manifest outlived the restore");
      must(ctl({"stop", "bench-suspend"}), "stop");
    }

    const double memory_bytes = double(kMemoryMiB) * (1 << 20);
    std::vector<double> saved_mib, apparent_mib, saved_ratio, used_mib;
    for (const auto& s : saved) {
      saved_mib.push_back(mib(s.allocated));
      apparent_mib.push_back(mib(s.apparent));
      saved_ratio.push_back(double(s.allocated) / memory_bytes);
    }
    for (auto kib : guest_used_kib) used_mib.push_back(double(kib) / 1024);
    const double cold_med = median(cold_s), resume_med = median(resume_s), save_med = median(save_s);
    const double ratio = resume_med / cold_med;
    const double saved_vs_memory = median(saved_ratio);

    fmt::print("bench-suspend: default image, {} MiB guest, QEMU (TCG here), {} round{} "
               "(each: cold start, suspend, resume, stop)\n",
               kMemoryMiB, kRounds, kRounds == 1 ? "" : "s");
    fmt::print("  {:<44} {:>9} {:>9}\n", "", "best", "median");
    fmt::print("  {:<44} {:>7.3f} s {:>7.3f} s\n", "cold start to SSH-ready (bangerctl start)", best(cold_s), cold_med);
    fmt::print("  {:<44} {:>7.3f} s {:>7.3f} s\n", "suspend, save + VMM gone (bangerctl suspend)", best(save_s),
               save_med);
    fmt::print("  {:<44} {:>7.3f} s {:>7.3f} s\n", "resume to SSH-ready (bangerctl start)", best(resume_s),
               resume_med);
    fmt::print("  {:<44} {:>7.1f} M {:>7.1f} M  ({} file(s); apparent size {:.1f} MiB)\n",
               "saved state on disk (allocated)", *std::min_element(saved_mib.begin(), saved_mib.end()),
               median(saved_mib), saved.front().files, median(apparent_mib));
    fmt::print("  {:<44} {:>7.1f} M {:>7.1f} M\n", "guest memory in use before the suspend", *std::min_element(
               used_mib.begin(), used_mib.end()), median(used_mib));
    fmt::print("  raw seconds: cold [{}]  suspend [{}]  resume [{}]\n", list(cold_s), list(save_s), list(resume_s));
    fmt::print("  raw saved MiB: [{}]; first start (not a round) {:.3f} s\n", list(saved_mib), first_s);
    fmt::print("  every resume kept its boot_id and tmpfs token (restored, not booted afresh)\n");
    fmt::print("  resume / cold (medians) {:.3f}x (target <= 0.15x): {}   [best / best {:.3f}x]\n", ratio,
               banger::bench::verdict(ratio <= 0.15), best(resume_s) / best(cold_s));
    fmt::print("  suspend (median) {:.3f} s (target <= 1 s): {}\n", save_med, banger::bench::verdict(save_med <= 1.0));
    fmt::print("  saved state / guest memory (median) {:.3f}x (target <= 0.5x): {}\n", saved_vs_memory,
               banger::bench::verdict(saved_vs_memory <= 0.5));
    banger::bench::figure("suspend.resume_vs_cold", ratio, "x", "<=", 0.15,
                          fmt::format("resume from suspend / cold start, to SSH-ready, {} MiB TCG guest (medians)",
                                      kMemoryMiB));
    banger::bench::figure("suspend.save_seconds", save_med, "s", "<=", 1.0,
                          fmt::format("suspend, save + VMM gone, {} MiB TCG guest (median)", kMemoryMiB));
    banger::bench::figure("suspend.saved_vs_memory", saved_vs_memory, "x", "<=", 0.5,
                          fmt::format("saved state on disk / guest memory, {} MiB guest (median)", kMemoryMiB));
    ctl({"kill", "bench-suspend"});
    ctl({"delete", "bench-suspend"});
  } catch (const std::exception& e) {
    std::cerr << "bench-suspend: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
