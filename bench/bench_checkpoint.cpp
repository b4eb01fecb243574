// Checkpoints of a VM (issue 19's figures), beside a cold start in the same run,
// on one VM: the default image with a 256 MiB guest under QEMU (TCG here), with
// bangerd's state dir on an xfs made with reflink=1 (state_on_xfs.h), so the
// disks of a checkpoint are reflinks. Each round, timed through the client
// library on one open bus connection (each figure is a bus call up to its end,
// an Operation's included):
//   cold      Start of the stopped VM to SSH-ready (the reference);
//   pause     VM.Snapshot of the running VM: how long the guest stopped answering
//             an echo probe from outside it (echo_probe.h), the figure; the
//             call's whole time (to its Operation's end) is printed beside it as
//             an upper bound, the guest runs on before it ends;
//   disk-only VM.Snapshot of the stopped VM (its disks only), to its Operation's end;
//   restore   Snapshot.Restore of the memory checkpoint, the VM stopped, to SSH-ready.
// Every checkpoint is checked, else the bench fails (exit 1, no figures): the
// restored memory checkpoint has the checkpoint's boot_id, a tmpfs token and disk
// marker written before it (both changed after it); the disk-only checkpoint's
// root disk is the VM's byte for byte and shares its extents (a reflink), and,
// restored after the disk was changed, the next cold start finds its marker.
// The probe is checked too: a Pause of 0.5 s must show as a silence ≥ 0.5 s.
// Targets: the guest paused ≤ 1 s; a disk-only checkpoint ≤ 10 ms (medians).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <banger/client.h>
#include <fmt/format.h>

#include "bench_support.h"
#include "echo_probe.h"
#include "guest_bench.h"
#include "state_on_xfs.h"

using namespace banger::bench;
namespace fs = std::filesystem;
namespace client = banger::client;

namespace {

constexpr const char* kVm = "bench-checkpoint";
constexpr unsigned kMemoryMiB = 256;
constexpr std::uint64_t kXfsMiB = 32768;  // sparse: holds the image, the VM's disks (8 GiB work disk, sparse) and checkpoints
const int kRounds = count(5, 1);

// What a checkpoint's saved VM state (its vmm/ directory) occupies on disk: allocated blocks.
double memory_part_mib(const fs::path& state, const std::string& vm_id, const std::string& snapshot_id) {
  std::uint64_t bytes = 0;
  for (const auto& entry : fs::recursive_directory_iterator(state / "snapshots" / vm_id / snapshot_id / "vmm")) {
    struct stat st{};
    if (::lstat(entry.path().c_str(), &st) == 0 && S_ISREG(st.st_mode))
      bytes += static_cast<std::uint64_t>(st.st_blocks) * 512;
  }
  return double(bytes) / (1 << 20);
}

std::string token() {
  static std::mt19937_64 random(std::random_device{}());
  return fmt::format("{:016x}", random());
}

// The checkpoint's disks against the VM's, on the host (the VM stopped): each
// file the checkpoint holds shares all its data's extents (the reflink the
// issue's ≤ 10 ms rests on) and, when `compare`, is byte for byte the VM's file
// of that name (reading the 8 GiB sparse work disk twice takes seconds: once is
// enough, the rounds' disk markers check the rest). Returns how many files were checked.
int check_disk_copies(const fs::path& state, const std::string& vm_id, const std::string& snapshot_id, bool compare) {
  const fs::path disks = state / "snapshots" / vm_id / snapshot_id / "disks";
  int checked = 0;
  for (const auto& copy : fs::directory_iterator(disks)) {
    fs::path original;
    for (const auto& entry : fs::recursive_directory_iterator(state / "vms" / vm_id))
      if (entry.path().filename() == copy.path().filename()) original = entry.path();
    if (original.empty()) throw std::runtime_error("no VM disk named like the checkpoint's " + copy.path().string());
    if (compare && !banger::testing::same_content(copy.path(), original))
      throw std::runtime_error("the checkpoint's " + copy.path().string() + " is not the VM's disk");
    const auto use = banger::testing::extent_usage(copy.path());
    if (use.total > 0 && use.shared < use.total)
      throw std::runtime_error(fmt::format("the checkpoint's {} is not a reflink: {} of {} bytes shared",
                                           copy.path().string(), use.shared, use.total));
    ++checked;
  }
  if (checked == 0) throw std::runtime_error("the checkpoint holds no disk at " + disks.string());
  return checked;
}

}  // namespace

int main() {
  if (auto why = banger::testing::enter_private_mount_namespace(); !why.empty()) {
    std::cout << "bench-checkpoint: skipped: " << why << "\n";
    return 77;
  }
  if (std::system("command -v mkfs.xfs >/dev/null 2>&1") != 0) {
    std::cout << "bench-checkpoint: skipped: no mkfs.xfs (the disk-only figure needs a reflink xfs)\n";
    return 77;
  }
  return run_guest_bench("bench-checkpoint", {"nft", "ssh", "ping"}, [](GuestBench& bench) {
    auto& env = bench.env();
    StateOnXfs xfs(env, kXfsMiB);
    ::setenv("DBUS_SYSTEM_BUS_ADDRESS", env.address().c_str(), 1);
    auto bus = client::Client::connect();
    must(bench.ctl({"create", kVm, "--memory", std::to_string(kMemoryMiB)}), "create");
    const auto vm = bus.get_vm(kVm);
    const auto address = vm.ipv4_address;
    if (vm.root_disk_strategy != "reflink")
      throw std::runtime_error("the VM's root disk is a " + vm.root_disk_strategy + ", not a reflink: no xfs?");
    auto in_guest = [&](const std::string& command) { return bench.in_guest(address, command); };
    auto expect_state = [&](const std::string& state, const std::string& after) {
      const auto now = bus.get_vm(kVm);
      if (now.state != state)
        throw std::runtime_error(fmt::format("after {}: the VM is {}, not {} (last error: {})", after, now.state,
                                             state, now.last_error));
    };
    const std::string boot_id = "cat /proc/sys/kernel/random/boot_id";
    const std::string marker = "/root/bench-checkpoint-marker";
    auto write_marker = [&](const std::string& value) { in_guest("echo " + value + " > " + marker + " && sync"); };

    // The first start pays once for what no later one does (KVM probe, first boot): not a round.
    const double first_s = seconds_of([&] { bus.start(kVm); });
    std::cerr << fmt::format("bench-checkpoint: guest {} up (first start {:.2f} s, not counted)\n", address, first_s);

    // The probe must see a pause: a 0.5 s Pause, between replies on both sides.
    double calibration = 0;
    {
      EchoProbe probe(bench.netns(), address, env.dir() / "probe-calibration.log");
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      const double from = wall_seconds();
      bus.pause(kVm);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      bus.resume(kVm);
      const double to = wall_seconds();
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      calibration = longest_silence(probe.stop(), from, to);
      if (calibration < 0.5)
        throw std::runtime_error(fmt::format("the echo probe saw a 0.5 s pause as {:.3f} s of silence", calibration));
    }
    bus.stop(kVm);

    std::vector<double> cold_s, pause_s, call_s, disk_ms, restore_s;
    std::vector<double> memory_mib;
    std::string expected_marker;  // what the next cold start must find: the last disk-only checkpoint's
    int disks_checked = 0;
    for (int round = 0; round < kRounds; ++round) {
      std::cerr << "bench-checkpoint: round " << round + 1 << " of " << kRounds << "\n";
      const auto mem_name = fmt::format("mem-{}", round), disk_name = fmt::format("disk-{}", round);
      cold_s.push_back(seconds_of([&] { bus.start(kVm); }));
      expect_state("running", "a cold start");
      const auto boot = in_guest(boot_id);
      if (!expected_marker.empty() && in_guest("cat " + marker) != expected_marker)
        throw std::runtime_error("after restoring the disk-only checkpoint, the disk lacks its marker");

      // What this instant holds: a token in a tmpfs (memory only) and a marker on the disk.
      const auto kept = token(), at_checkpoint = token();
      in_guest("mkdir -p /mnt/bench && mount -t tmpfs bench /mnt/bench && echo " + kept + " > /mnt/bench/token");
      write_marker(at_checkpoint);

      client::SnapshotInfo memory;
      {
        EchoProbe probe(bench.netns(), address, env.dir() / fmt::format("probe-{}.log", round));
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        const double from = wall_seconds();
        call_s.push_back(seconds_of([&] { memory = bus.snapshot_vm(kVm, mem_name); }));
        const double to = wall_seconds();
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        pause_s.push_back(longest_silence(probe.stop(), from, to));
      }
      expect_state("running", "a checkpoint of the running VM");
      if (!memory.has_memory) throw std::runtime_error("the running VM's checkpoint has no memory");
      if (in_guest(boot_id) != boot) throw std::runtime_error("the checkpoint restarted the guest");
      memory_mib.push_back(memory_part_mib(xfs.state_dir(), vm.id, memory.id));

      // Changed after the memory checkpoint: its restore must bring back `kept` and `at_checkpoint`.
      const auto disk_only = token();
      in_guest("echo " + token() + " > /mnt/bench/token");
      write_marker(disk_only);
      bus.stop(kVm);

      client::SnapshotInfo disks;
      disk_ms.push_back(1000 * seconds_of([&] { disks = bus.snapshot_vm(kVm, disk_name); }));
      if (disks.has_memory) throw std::runtime_error("the stopped VM's checkpoint has memory");
      disks_checked = check_disk_copies(xfs.state_dir(), vm.id, disks.id, round == 0);

      restore_s.push_back(seconds_of([&] { bus.restore_snapshot(kVm, mem_name); }));
      expect_state("running", "the restore of the memory checkpoint");
      const auto restored_boot = in_guest(boot_id), restored_token = in_guest("cat /mnt/bench/token 2>&1 || true"),
                 restored_marker = in_guest("cat " + marker);
      if (restored_boot != boot || restored_token != kept || restored_marker != at_checkpoint)
        throw std::runtime_error(fmt::format(
            "the memory checkpoint did not restore: boot_id {} → {}, tmpfs token {} → '{}', disk marker {} → '{}'", boot,
            restored_boot, kept, restored_token, at_checkpoint, restored_marker));

      // The disk-only checkpoint back (the disk holds at_checkpoint now): the next cold start checks it.
      bus.stop(kVm);
      bus.restore_snapshot(kVm, disk_name);
      expect_state("stopped", "the restore of the disk-only checkpoint");
      expected_marker = disk_only;
      bus.remove_snapshot(kVm, mem_name);
      bus.remove_snapshot(kVm, disk_name);
    }
    // The last disk-only restore, checked as the rounds' were (not timed).
    bus.start(kVm);
    if (in_guest("cat " + marker) != expected_marker)
      throw std::runtime_error("after restoring the last disk-only checkpoint, the disk lacks its marker");
    bus.stop(kVm);

    std::vector<double> trips;
    for (int i = 0; i < 50; ++i) trips.push_back(1000 * seconds_of([&] { bus.get_vm(kVm); }));
    const double round_trip_ms = median(trips);
    const double cold_med = median(cold_s), pause_med = median(pause_s), call_med = median(call_s),
                 disk_med = median(disk_ms), restore_med = median(restore_s);
    fmt::print("bench-checkpoint: default image, {} MiB guest, QEMU (TCG here), state dir on xfs (reflink=1, loop "
               "file), {} round{}\n",
               kMemoryMiB, kRounds, kRounds == 1 ? "" : "s");
    fmt::print("  {:<58} {:>9} {:>9}\n", "", "best", "median");
    fmt::print("  {:<58} {:>7.3f} s {:>7.3f} s\n", "cold start to SSH-ready (reference)", best(cold_s), cold_med);
    fmt::print("  {:<58} {:>7.3f} s {:>7.3f} s\n", "guest paused by a checkpoint (echo probe's longest silence)",
               best(pause_s), pause_med);
    fmt::print("  {:<58} {:>7.3f} s {:>7.3f} s\n", "checkpoint of the running VM, call to Operation's end",
               best(call_s), call_med);
    fmt::print("  {:<58} {:>6.2f} ms {:>6.2f} ms\n", "disk-only checkpoint of the stopped VM, to Operation's end",
               best(disk_ms), disk_med);
    fmt::print("  {:<58} {:>7.3f} s {:>7.3f} s\n", "restore of the memory checkpoint to SSH-ready", best(restore_s),
               restore_med);
    fmt::print("  restore / cold start (medians) {:.3f}x   [best / best {:.3f}x]\n", restore_med / cold_med,
               best(restore_s) / best(cold_s));
    fmt::print("  memory checkpoint's saved VM state on disk (allocated): median {:.1f} MiB\n", median(memory_mib));
    fmt::print("  for scale, one bus round trip (GetVM + GetAll of the VM): median {:.2f} ms; the disk-only call makes "
               "several (GetVM, Snapshot, the signal matches, the Operation's and the checkpoint's GetAll) and waits "
               "for the Operation's signal\n",
               round_trip_ms);
    fmt::print("  raw seconds: cold [{}]  pause [{}]  call [{}]  restore [{}]\n", list(cold_s), list(pause_s),
               list(call_s), list(restore_s));
    fmt::print("  raw disk-only ms: [{}]; first start (not a round) {:.3f} s\n", list(disk_ms, 2), first_s);
    fmt::print("  echo probe: ping every {:.0f} ms from the guests' namespace; a 0.5 s Pause showed as {:.3f} s\n",
               1000 * EchoProbe::interval_s, calibration);
    fmt::print("  every memory checkpoint restored its boot_id, tmpfs token and disk marker; every disk-only one "
               "held the VM's {} disk(s) as reflinks (byte for byte in round 1) and brought its marker back\n",
               disks_checked);
    fmt::print("  guest paused (median) {:.3f} s (target <= 1 s): {}\n", pause_med, verdict(pause_med <= 1.0));
    fmt::print("  disk-only checkpoint (median) {:.2f} ms (target <= 10 ms): {}\n", disk_med, verdict(disk_med <= 10));
    figure("checkpoint.pause_seconds", pause_med, "s", "<=", 1.0,
           fmt::format("guest paused by a checkpoint of the running VM, {} MiB TCG guest (median)", kMemoryMiB));
    figure("checkpoint.disk_only_ms", disk_med, "ms", "<=", 10.0,
           "disk-only checkpoint of a stopped VM on reflink, bus call to Operation's end (median)");
    bus.remove(kVm);
  });
}
