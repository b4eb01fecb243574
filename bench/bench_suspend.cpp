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
// Targets: resume ≤ 0.15× cold; suspend ≤ 1 s; saved state ≤ 0.5× guest memory,
// from the medians of the rounds (best printed too). Beside them, bangerd's own
// log splits each start into the wait for SSH and everything before it.

#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench_support.h"
#include "guest_bench.h"

using namespace banger::bench;
namespace fs = std::filesystem;

namespace {

constexpr unsigned kMemoryMiB = 256;
const int kRounds = banger::bench::count(5, 1);

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

// bangerd's own account of each operation, from its log: "vm.start NAME by uid 0: ok
// in N ms" and, before each start's, "… answered with SSH-… after N ms" (the SSH wait
// within it). Not a figure: it shows where a start's time went (VMM launch and the
// state's load, or boot, vs the wait for SSH) and what the bangerctl round trip adds.
struct DaemonAccount {
  std::vector<double> start_ms, ssh_wait_ms, suspend_ms;  // in log order
};

DaemonAccount daemon_account(const fs::path& log) {
  DaemonAccount account;
  std::ifstream in(log);
  const std::regex start(R"(vm\.start bench-suspend by uid \d+: ok in (\d+) ms)");
  const std::regex suspend(R"(vm\.suspend bench-suspend by uid \d+: ok in (\d+) ms)");
  const std::regex answered(R"('bench-suspend': \S+ answered with \S+ after (\d+) ms)");
  double last_wait = -1;
  std::smatch m;
  for (std::string line; std::getline(in, line);) {
    if (std::regex_search(line, m, answered)) {
      last_wait = std::stod(m[1]);
    } else if (std::regex_search(line, m, start)) {
      account.start_ms.push_back(std::stod(m[1]));
      account.ssh_wait_ms.push_back(last_wait);
      last_wait = -1;
    } else if (std::regex_search(line, m, suspend)) {
      account.suspend_ms.push_back(std::stod(m[1]));
    }
  }
  return account;
}

}  // namespace

int main() {
  return banger::bench::run_guest_bench("bench-suspend", {"nft", "ssh"}, [](GuestBench& bench) {
    auto ctl = [&bench](std::vector<std::string> args) { return bench.ctl(std::move(args)); };
    auto& env = bench.env();
    auto show = [&] {
      auto shown = ctl({"show", "bench-suspend", "--json"});
      must(shown, "show");
      return nlohmann::json::parse(shown.out);
    };
    must(ctl({"create", "bench-suspend", "--memory", std::to_string(kMemoryMiB)}), "create");
    const auto vm = show();
    const auto id = vm.at("id").get<std::string>();
    const auto address = vm.at("ipv4_address").get<std::string>();
    const fs::path saved_dir = env.dir() / "state" / "saved-states" / id;
    auto in_guest = [&](const std::string& command) { return bench.in_guest(address, command); };
    auto expect_state = [&](const std::string& state, const std::string& after) {
      const auto now = show();
      if (now.at("state") != state)
        throw std::runtime_error(fmt::format("after {}: the VM is {}, not {} (last error: {})", after,
                                             now.at("state").get<std::string>(), state,
                                             now.at("last_error").get<std::string>()));
      return now;
    };

    // The VM's first start is not a round: it pays once for what no later start
    // does (bangerd's probe of whether KVM can run a guest, for accel = "auto";
    // the guest's first-boot work), which would flatter the resume/cold ratio.
    const double first_s = seconds_of([&] { must(ctl({"start", "bench-suspend"}), "first start"); });
    std::string boot = in_guest("cat /proc/sys/kernel/random/boot_id");
    std::cerr << fmt::format("bench-suspend: guest {} up (first start {:.2f} s, not counted)\n", address, first_s);
    must(ctl({"stop", "bench-suspend"}), "stop");

    std::vector<double> cold_s, save_s, resume_s;
    std::vector<DiskUse> saved;
    std::vector<std::uint64_t> guest_used_kib, guest_used_nocache_kib;
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
      // The guest's memory in use, page cache included (total - free; what the save
      // may have to write) and not (total - available), for scale beside the saved size.
      {
        std::istringstream used(in_guest("awk \"/^MemTotal:/ {t=\\$2} /^MemFree:/ {f=\\$2} "
                                         "/^MemAvailable:/ {a=\\$2} END {print t-f, t-a}\" /proc/meminfo"));
        std::uint64_t with_cache = 0, without = 0;
        used >> with_cache >> without;
        guest_used_kib.push_back(with_cache);
        guest_used_nocache_kib.push_back(without);
      }

      save_s.push_back(seconds_of([&] { must(ctl({"suspend", "bench-suspend"}), "suspend"); }));
      expect_state("suspended", "suspend");
      if (!fs::is_regular_file(saved_dir / "manifest"))
        throw std::runtime_error("no saved state (manifest) at " + saved_dir.string());
      saved.push_back(disk_use(saved_dir));

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
    std::vector<double> saved_mib, apparent_mib, saved_ratio, used_mib, used_nocache_mib;
    for (const auto& s : saved) {
      saved_mib.push_back(mib(s.allocated));
      apparent_mib.push_back(mib(s.apparent));
      saved_ratio.push_back(double(s.allocated) / memory_bytes);
    }
    for (auto kib : guest_used_kib) used_mib.push_back(double(kib) / 1024);
    for (auto kib : guest_used_nocache_kib) used_nocache_mib.push_back(double(kib) / 1024);
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
               "saved state on disk (allocated)", best(saved_mib),
               median(saved_mib), saved.front().files, median(apparent_mib));
    fmt::print("  {:<44} {:>7.1f} M {:>7.1f} M\n", "guest memory in use, page cache included", best(used_mib),
               median(used_mib));
    fmt::print("  {:<44} {:>7.1f} M {:>7.1f} M\n", "guest memory in use, without page cache", best(used_nocache_mib),
               median(used_nocache_mib));
    fmt::print("  raw seconds: cold [{}]  suspend [{}]  resume [{}]\n", list(cold_s), list(save_s), list(resume_s));
    fmt::print("  raw saved MiB: [{}]; first start (not a round) {:.3f} s\n", list(saved_mib), first_s);
    // Starts in the log: the first (not a round), then per round the cold one and the resume.
    const auto account = daemon_account(env.dir() / "bangerd.log");
    if (account.start_ms.size() == 1 + 2 * cold_s.size() && account.suspend_ms.size() == save_s.size()) {
      std::vector<double> cold_ms, cold_wait, resume_ms, resume_wait;
      for (std::size_t i = 1; i < account.start_ms.size(); ++i) {
        (i % 2 ? cold_ms : resume_ms).push_back(account.start_ms[i]);
        (i % 2 ? cold_wait : resume_wait).push_back(account.ssh_wait_ms[i]);
      }
      fmt::print("  bangerd's own account (its log, medians): cold start {:.0f} ms (SSH answered after {:.0f} ms); "
                 "resume {:.0f} ms (SSH answered after {:.0f} ms); suspend {:.0f} ms\n",
                 median(cold_ms), median(cold_wait), median(resume_ms), median(resume_wait),
                 median(account.suspend_ms));
      fmt::print("  raw bangerd ms: cold [{}] ssh [{}]  resume [{}] ssh [{}]  suspend [{}]\n", list(cold_ms, 0),
                 list(cold_wait, 0), list(resume_ms, 0), list(resume_wait, 0), list(account.suspend_ms, 0));
    } else {
      fmt::print("  bangerd's own account: its log has {} starts and {} suspends, not the {} and {} expected\n",
                 account.start_ms.size(), account.suspend_ms.size(), 1 + 2 * cold_s.size(), save_s.size());
    }
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
    ctl({"delete", "bench-suspend"});  // stopped by the last round
  });
}
