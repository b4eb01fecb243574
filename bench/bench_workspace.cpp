// Workspace push throughput into a real guest: `bangerctl workspace push` of a
// 100 MiB tree (client tar → bus fd → bangerd's entry checks → libssh channel →
// busybox tar in the guest) against `tar -c | ssh root@guest tar -x` of the
// same tree to the same guest in the same run. The real bangerd runs in a
// network namespace of its own on a private bus (the bus tests' harness); the
// guest is the default image under QEMU (TCG here), with a tmpfs on /work so
// both sides write to the same place whatever disk the guest has.
// Target: push throughput >= 0.9x the plain tar | ssh tar.

#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench_support.h"
#include "guest_bench.h"

using namespace banger::bench;
namespace fs = std::filesystem;

namespace {

const int kFiles = banger::bench::count(100, 10);
constexpr std::size_t kFileBytes = 1 << 20;
const double kTotalMiB = kFiles * kFileBytes / double(1 << 20);

// 100 files of 1 MiB of random bytes in a few directories.
void make_tree(const fs::path& root) {
  std::mt19937_64 random(42);
  std::vector<std::uint64_t> block(kFileBytes / 8);
  for (int i = 0; i < kFiles; ++i) {
    const auto dir = root / fmt::format("d{}", i % 10);
    fs::create_directories(dir);
    for (auto& word : block) word = random();
    std::ofstream(dir / fmt::format("f{}.bin", i), std::ios::binary)
        .write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(kFileBytes));
  }
}

}  // namespace

int main() {
  return banger::bench::run_guest_bench("bench-workspace", {"nft", "ssh", "tar"}, [](GuestBench& bench) {
    auto ctl = [&bench](std::vector<std::string> args) { return bench.ctl(std::move(args)); };
    auto& env = bench.env();
    must(ctl({"create", "bench-ws", "--memory", "1024"}), "create");
    must(ctl({"start", "bench-ws"}), "start");
    auto shown = ctl({"show", "bench-ws", "--json"});
    must(shown, "show");
    const auto address = nlohmann::json::parse(shown.out).at("ipv4_address").get<std::string>();
    const std::string ssh = bench.ssh_to(address);
    auto in_guest = [&](const std::string& command) { return bench.in_guest(address, command); };
    std::cerr << "bench-workspace: guest " << address << " up; making the tree\n";
    in_guest("mkdir -p /work && mount -t tmpfs -o size=600m tmpfs /work");
    const auto tree = env.dir() / "tree";
    make_tree(tree);

    const auto plain_script = env.dir() / "plain.sh";
    std::ofstream(plain_script) << "tar -C " << tree.string() << " -cf - . | " << ssh
                                << " 'mkdir -p /work/plain && tar -x -f - -C /work/plain' 2>&1\n";
    std::vector<double> push_s, plain_s;
    for (int round = 0; round < banger::bench::count(3, 1); ++round) {
      std::cerr << "bench-workspace: round " << round + 1 << "\n";
      push_s.push_back(seconds_of([&] { must(ctl({"workspace", "push", "bench-ws", tree.string(), "--all",
                                                  "--target", "pushed"}), "workspace push"); }));
      if (std::stod(in_guest("du -sk /work/pushed | cut -f1")) < kTotalMiB * 1024)
        throw std::runtime_error("the pushed tree is incomplete: " + in_guest("du -sm /work/pushed"));
      in_guest("rm -rf /work/pushed");
      plain_s.push_back(seconds_of([&] {
        // The whole pipeline in bangerd's namespace, where the guest's network is.
        auto r = bench.netns().exec("sh " + plain_script.string());
        if (r.status != 0) throw std::runtime_error("tar | ssh tar failed:\n" + r.out);
      }));
      in_guest("rm -rf /work/plain");
    }
    const double push_best = *std::min_element(push_s.begin(), push_s.end());
    const double plain_best = *std::min_element(plain_s.begin(), plain_s.end());
    const double push_mibs = kTotalMiB / push_best, plain_mibs = kTotalMiB / plain_best;
    const double ratio = push_mibs / plain_mibs;
    fmt::print("bench-workspace: {:.0f} MiB tree ({} files) into a QEMU guest, best of {} rounds\n", kTotalMiB,
               kFiles, push_s.size());
    fmt::print("  bangerctl workspace push  {:6.2f} s  {:6.1f} MiB/s\n", push_best, push_mibs);
    fmt::print("  tar -c | ssh tar -x       {:6.2f} s  {:6.1f} MiB/s\n", plain_best, plain_mibs);
    fmt::print("  ratio {:.2f}x (target >= 0.9x): {}\n", ratio, banger::bench::verdict(ratio >= 0.9));
    banger::bench::figure("workspace.push_ratio", ratio, "x", ">=", 0.9,
                          fmt::format("workspace push vs tar | ssh tar, {:.0f} MiB into a TCG guest", kTotalMiB));
    const auto logs = env.logs();  // bangerd's own account of each push
    for (std::size_t at = 0; (at = logs.find("workspace push", at)) != std::string::npos; ++at)
      std::cout << "  bangerd: " << logs.substr(at, logs.find('\n', at) - at) << "\n";
    ctl({"kill", "bench-ws"});
    ctl({"delete", "bench-ws"});
  });
}
