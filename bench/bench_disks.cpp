// bench-disks: root-disk provisioning (disks::RootDisks::create, the strategy
// probe included, as ImageFiles::provision runs it) for a 1 GiB and a 4 GiB
// ext4 image with data in them: reflink on an xfs filesystem the bench makes
// in a loop file and mounts in a private mount namespace, side by side with
// the sparse copy on the default filesystem. Target: reflink ≤ 5 ms and flat
// in image size; the copy figure is the baseline it beats. Root only.
// Copies are timed to the page cache, as bangerd makes them (no fsync).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench_support.h"
#include "disks/root_disk.h"
#include "disks/tool.h"
#include "scratch_filesystem.h"

namespace {

using namespace banger;
namespace fs = std::filesystem;

struct Image {
  std::uint64_t mib, data_mib;
};

struct Row {
  std::string strategy;
  std::uint64_t mib;
  bench::Stats stats;
};

// Times `runs` creates of a VM's root disk from `image` under `state`; each disk goes before the next.
Row measure(const fs::path& state, const fs::path& image, std::uint64_t mib, int runs) {
  disks::RootDisks root_disks(state, {});
  std::vector<double> us;
  disks::RootDiskStrategy used{};
  for (int i = 0; i < runs; ++i) {
    const std::string id = fmt::format("{:032x}", i);
    fs::create_directories(state / "vms" / id);
    us.push_back(bench::time_us([&] { used = root_disks.create(id, image, 0); }));
    root_disks.remove(id);
    fs::remove_all(state / "vms" / id);
  }
  return {std::string(disks::to_string(used)), mib, bench::stats(us)};
}

}  // namespace

int main() {
  if (auto why = testing::enter_private_mount_namespace(); !why.empty()) {
    fmt::print(stderr, "bench-disks: {}\n", why);
    return 77;  // skipped, as the tests do (bench-all reports it)
  }
  const bool short_run = banger::bench::short_mode();
  const std::vector<Image> images = short_run ? std::vector<Image>{{128, 32}, {512, 64}}
                                              : std::vector<Image>{{1024, 256}, {4096, 1024}};
  testing::ScratchDir scratch;
  auto xfs = testing::ScratchFilesystem::xfs(scratch.path(), 16 * 1024);
  const fs::path reflink_state = xfs.mount_point() / "state";
  const fs::path copy_state = scratch.path() / "state";
  std::vector<Row> rows;
  for (const auto& image : images) {
    const std::string name = fmt::format("rootfs-{}.ext4", image.mib);
    fmt::print("making a {} MiB ext4 image with {} MiB of data …\n", image.mib, image.data_mib);
    std::fflush(stdout);
    fs::create_directories(reflink_state / "images");
    fs::create_directories(copy_state / "images");
    testing::make_ext4_with_data(copy_state / "images" / name, image.mib, image.data_mib);
    disks::run_tool({"cp", "--sparse=always", (copy_state / "images" / name).string(), (reflink_state / "images" / name).string()});
    // On disk first: a clone of freshly written data would time its writeback, not the clone.
    disks::run_tool({"sync", (copy_state / "images" / name).string(), (reflink_state / "images" / name).string()});
    rows.push_back(measure(reflink_state, reflink_state / "images" / name, image.mib, short_run ? 3 : 20));
    rows.push_back(measure(copy_state, copy_state / "images" / name, image.mib, short_run ? 1 : 3));
    fs::remove(copy_state / "images" / name);
    fs::remove(reflink_state / "images" / name);
  }

  fmt::print("\nroot-disk provisioning (clone from the image, probe included)\n");
  fmt::print("{:<12} {:>10} {:>12} {:>12} {:>12}\n", "strategy", "image", "median ms", "mean ms", "p99 ms");
  for (const auto& r : rows)
    fmt::print("{:<12} {:>6} MiB {:>12.3f} {:>12.3f} {:>12.3f}\n", r.strategy, r.mib, r.stats.median_us / 1000,
               r.stats.mean_us / 1000, r.stats.p99_us / 1000);
  const Row* reflink_small = nullptr;
  const Row* reflink_big = nullptr;
  const Row* copy_small = nullptr;
  for (const auto& r : rows) {
    if (r.strategy == "reflink" && r.mib == images[0].mib) reflink_small = &r;
    if (r.strategy == "reflink" && r.mib == images[1].mib) reflink_big = &r;
    if (r.strategy == "copy" && r.mib == images[0].mib) copy_small = &r;
  }
  if (reflink_small == nullptr || reflink_big == nullptr || copy_small == nullptr) {
    fmt::print("a strategy did not run as planned (is xfs with reflink available?)\n");
    return 1;
  }
  const bool fast = reflink_small->stats.median_us <= 5000 && reflink_big->stats.median_us <= 5000;
  fmt::print("\ntarget: reflink ≤ 5 ms for 1 GiB: {:.3f} ms, {}; 4 GiB: {:.3f} ms ({:.1f}× the 1 GiB figure); "
             "{:.0f}× faster than the copy ({:.1f} ms)\n",
             reflink_small->stats.median_us / 1000, fast ? "met" : "MISSED", reflink_big->stats.median_us / 1000,
             reflink_big->stats.median_us / reflink_small->stats.median_us,
             copy_small->stats.median_us / reflink_small->stats.median_us, copy_small->stats.median_us / 1000);
  using banger::bench::figure;
  figure("disks.reflink_small", reflink_small->stats.median_us / 1000, "ms", "<=", 5,
         fmt::format("root disk by reflink, {} MiB image (median)", images[0].mib));
  figure("disks.reflink_big", reflink_big->stats.median_us / 1000, "ms", "<=", 5,
         fmt::format("root disk by reflink, {} MiB image (median; flat in size)", images[1].mib));
  return fast || short_run ? 0 : 1;
}
