// Prints banger's lifecycle figures against the targets of issue 3:
//   Start round trip against the fake Firecracker VMM         (bangerd's overhead ≤ 10 ms median)
//   create → start → stop → delete cycles per second, fake     (≥ 10 per second on 2 cores)
//   real QEMU guest: Start until the guest says it is ready,
//   beside the same qemu command line started by hand         (ratio ≤ 1.10)
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench_support.h"

namespace fs = std::filesystem;
using namespace banger::bench;

namespace {

std::string create(sdbus::IProxy& manager, const std::string& name) {
  sdbus::ObjectPath vm, op;
  // No work disk: this bench measures the lifecycle; bench-disks measures disk provisioning.
  std::map<std::string, sdbus::Variant> options{{"memory", sdbus::Variant(std::uint32_t{256})},
                                                {"work_disk", sdbus::Variant(std::uint32_t{0})}};
  manager.callMethod("CreateVM").onInterface("dev.banger.banger1.Manager").withArguments(name, options).storeResultsTo(vm, op);
  return vm;
}

void call(sdbus::IConnection& conn, const std::string& vm, const std::string& method) {
  auto proxy = sdbus::createProxy(conn, "dev.banger.banger1", vm);
  if (method == "Stop")
    proxy->callMethod("Stop").onInterface("dev.banger.banger1.VM").withArguments(false);
  else
    proxy->callMethod(method).onInterface("dev.banger.banger1.VM");
}

// Imports `parts` (name → file) through ImportImage with file descriptors, waits
// for the copy, and makes the image the default.
void import_default_image(Stack& stack, const std::map<std::string, fs::path>& parts) {
  std::map<std::string, sdbus::Variant> fds;
  for (const auto& [part, file] : parts) {
    const int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("cannot open " + file.string());
    fds.emplace(part, sdbus::Variant(sdbus::UnixFd(fd, sdbus::adopt_fd)));
  }
  sdbus::ObjectPath image, op;
  stack.manager()
      .callMethod("ImportImage")
      .onInterface("dev.banger.banger1.Manager")
      .withArguments(std::string("default"), fds)
      .storeResultsTo(image, op);
  auto operation = sdbus::createProxy(stack.connection(), "dev.banger.banger1", op);
  wait_until([&] { return operation->getProperty("Done").onInterface("dev.banger.banger1.Operation").get<bool>(); },
             std::chrono::seconds(120), "the image import");
  const auto error = operation->getProperty("Error").onInterface("dev.banger.banger1.Operation").get<std::string>();
  if (!error.empty()) throw std::runtime_error("importing the image failed: " + error);
  stack.manager().callMethod("SetDefaultImage").onInterface("dev.banger.banger1.Manager").withArguments(std::string("default"));
}

std::string property(sdbus::IConnection& conn, const std::string& vm, const std::string& name) {
  auto proxy = sdbus::createProxy(conn, "dev.banger.banger1", vm);
  return proxy->getProperty(name).onInterface("dev.banger.banger1.VM").get<std::string>();
}

// A VM in state creating refuses every verb (Busy), so wait for the state itself.
void wait_created(sdbus::IConnection& conn, const std::string& vm) {
  wait_until([&] { return property(conn, vm, "State") == "created"; }, std::chrono::seconds(60), vm + " created");
}

bool file_has(const fs::path& file, const std::string& text) {
  std::ifstream in(file);
  std::stringstream all;
  all << in.rdbuf();
  return all.str().find(text) != std::string::npos;
}

double wait_text_us(const fs::path& file, const std::string& text, Clock::time_point since) {
  wait_until([&] { return file_has(file, text); }, std::chrono::seconds(120), text);
  return std::chrono::duration<double, std::micro>(Clock::now() - since).count();
}

bool socket_accepts(const fs::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  path.native().copy(addr.sun_path, sizeof addr.sun_path - 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

// The fake VMM's own start-up (exec, loading, binding its API socket), started
// by hand: the part of a Start round trip that is not bangerd's.
double fake_startup_us(const fs::path& dir) {
  auto socket = dir / "by-hand.sock";
  auto t0 = Clock::now();
  pid_t fake = spawn({FAKE_FIRECRACKER_PATH, "--api-sock", socket.string(), "--id", "by-hand"}, dir / "by-hand.log");
  while (!socket_accepts(socket)) std::this_thread::sleep_for(std::chrono::microseconds(200));
  double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
  stop_process(fake);
  fs::remove(socket);
  return us;
}

// The fake's simulated guest powers off this long after SendCtrlAltDel: the
// cycle rate measures banger, not a guest's shutdown scripts.
constexpr int kGuestPowerOffMs = 10;

void fake_firecracker_figures(const fs::path& source_root) {
  setenv("FAKE_FC_SHUTDOWN_MS", std::to_string(kGuestPowerOffMs).c_str(), 1);  // bangerd passes it to the fake
  Stack stack(BANGERD_TEST_PATH, source_root,
              fmt::format("[daemon]\npolkit = false\n[vm]\nstop_timeout_s = 10\n"
                          "[vmm]\nbackend = \"firecracker\"\nfirecracker = \"{}\"\n",
                          FAKE_FIRECRACKER_PATH));
  // Stand-ins with just the magic bangerd checks (ELF, ext superblock); the fake boots nothing.
  const auto src = stack.dir() / "image-src";
  fs::create_directories(src);
  std::ofstream(src / "vmlinux") << "\x7f" "ELF kernel stand-in";
  {
    std::ofstream rootfs(src / "rootfs.ext4", std::ios::binary);
    rootfs.seekp(1080);
    rootfs << "\x53\xef";
  }
  import_default_image(stack, {{"vmlinux", src / "vmlinux"}, {"rootfs", src / "rootfs.ext4"}});

  std::vector<double> start_us, by_hand_us;
  for (int i = 0; i < count(20, 3); ++i) {
    by_hand_us.push_back(fake_startup_us(stack.dir()));
    auto vm = create(stack.manager(), fmt::format("start-{}", i));
    wait_created(stack.connection(), vm);
    start_us.push_back(time_us([&] { call(stack.connection(), vm, "Start"); }));
    call(stack.connection(), vm, "Kill");
    call(stack.connection(), vm, "Delete");
  }
  const int cycles = count(30, 3);
  std::vector<double> create_us, cycle_start_us, stop_us, delete_us;
  double total_us = time_us([&] {
    for (int i = 0; i < cycles; ++i) {
      std::string vm;
      create_us.push_back(time_us([&] {
        vm = create(stack.manager(), fmt::format("cycle-{}", i));
        wait_created(stack.connection(), vm);
      }));
      cycle_start_us.push_back(time_us([&] { call(stack.connection(), vm, "Start"); }));
      stop_us.push_back(time_us([&] { call(stack.connection(), vm, "Stop"); }));
      delete_us.push_back(time_us([&] { call(stack.connection(), vm, "Delete"); }));
    }
  });
  auto s = stats(start_us);
  double rate = cycles / (total_us / 1e6);
  auto by_hand = stats(by_hand_us);
  double own_ms = (s.median_us - by_hand.median_us) / 1000;
  std::cout << fmt::format("  Start round trip, fake Firecracker  median {:6.2f} ms  p99 {:6.2f} ms  "
                           "(launch + 6 API calls + InstanceStart)\n",
                           s.median_us / 1000, s.p99_us / 1000);
  std::cout << fmt::format("    of which the fake's own start-up  median {:6.2f} ms  (same binary started by hand)\n",
                           by_hand.median_us / 1000);
  std::cout << fmt::format("    bangerd's own Start overhead        {:6.2f} ms  target <= 10 ms  {}\n", own_ms,
                           verdict(own_ms <= 10));
  std::cout << fmt::format("  create/start/stop/delete cycles     {:6.1f} per second   target >= 10  {}"
                           "  (simulated guest power-off {} ms)\n",
                           rate, verdict(rate >= 10), kGuestPowerOffMs);
  std::cout << fmt::format("    per cycle (medians): create {:.2f} ms, start {:.2f} ms, stop {:.2f} ms, delete {:.2f} ms\n",
                           stats(create_us).median_us / 1000, stats(cycle_start_us).median_us / 1000,
                           stats(stop_us).median_us / 1000, stats(delete_us).median_us / 1000);
  figure("lifecycle.start_overhead", own_ms, "ms", "<=", 10, "Start vs the fake Firecracker: bangerd's own overhead");
  figure("lifecycle.cycles", rate, "/s", ">=", 10, "create/start/stop/delete cycles (fake Firecracker)");
}

// Banger's QEMU command line as a QEMU started by hand (as root) takes it: -S
// dropped, the runtime dir moved, and what bangerd passes as descriptors (QEMU
// runs as the VM's own uid and opens nothing by path) named by path again:
// fd sets by the path in their opaque=, the kernel and initrd by the image's
// files, the tap by its name, the QMP socket by a path of its own.
std::vector<std::string> by_hand_command_line(const std::vector<std::string>& argv, const fs::path& runtime,
                                              const fs::path& plain, const fs::path& image, const std::string& tap) {
  std::map<std::string, std::string> fd_sets;  // set number -> path
  for (std::size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] != "-add-fd") continue;
    const auto& spec = argv[i + 1];
    const auto set = spec.find("set="), opaque = spec.find("opaque=");
    if (set == std::string::npos || opaque == std::string::npos) continue;
    fd_sets[spec.substr(set + 4, spec.find(',', set) - set - 4)] = spec.substr(opaque + 7);
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    std::string arg = argv[i];
    if (arg == "-S") continue;
    if (arg == "-add-fd") {
      ++i;
      continue;
    }
    if (i > 0 && argv[i - 1] == "-kernel") arg = (image / "vmlinuz").string();
    if (i > 0 && argv[i - 1] == "-initrd") arg = (image / "initrd.img").string();
    for (const auto& [set, path] : fd_sets)
      for (auto at = arg.find("/dev/fdset/" + set); at != std::string::npos; at = arg.find("/dev/fdset/" + set))
        arg.replace(at, 11 + set.size(), path);
    if (arg.starts_with("tap,") && arg.find(",fd=") != std::string::npos)
      arg = arg.substr(0, arg.find(",fd=")) + ",ifname=" + tap + ",script=no,downscript=no";
    if (arg.starts_with("socket,id=qmp,fd="))
      arg = "socket,id=qmp,path=" + (runtime / "qmp.sock").string() + ",server=on,wait=off";
    for (auto at = arg.find(runtime.string()); at != std::string::npos; at = arg.find(runtime.string()))
      arg.replace(at, runtime.string().size(), plain.string());
    out.push_back(arg);
  }
  return out;
}

const int kBoots = count(5, 1);  // banger and by hand, alternating

void qemu_figures(const fs::path& source_root, const fs::path& image) {
  Stack stack(BANGERD_TEST_PATH, source_root, "[daemon]\npolkit = false\n[vmm]\nbackend = \"qemu\"\n");
  import_default_image(stack,
                       {{"kernel", image / "vmlinuz"}, {"initrd", image / "initrd.img"}, {"rootfs", image / "rootfs.ext4"}});
  std::vector<double> banger_us, plain_us;
  for (int i = 0; i < kBoots; ++i) {
    auto vm = create(stack.manager(), fmt::format("boot-{}", i));
    wait_created(stack.connection(), vm);
    auto runtime = stack.dir() / "run/vms" / property(stack.connection(), vm, "Id");
    auto t0 = Clock::now();
    call(stack.connection(), vm, "Start");
    banger_us.push_back(wait_text_us(runtime / "console.log", "banger: guest ready", t0));

    // The same qemu command line, by hand: only -S (start paused) dropped and the paths moved.
    std::vector<std::string> argv;
    for (const auto& entry : fs::directory_iterator("/proc")) {
      std::ifstream in(entry.path() / "cmdline");
      std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (all.find("qemu-system") == std::string::npos || all.find((runtime / "qmp.sock").string()) == std::string::npos)
        continue;
      std::stringstream parts(all);
      for (std::string arg; std::getline(parts, arg, '\0');) argv.push_back(arg);
      break;
    }
    call(stack.connection(), vm, "Kill");  // its disk is free again for the run by hand
    if (argv.empty()) throw std::runtime_error("could not find banger's qemu command line");
    auto plain = stack.dir() / fmt::format("plain-{}", i);
    fs::create_directories(plain);
    const auto by_hand = by_hand_command_line(argv, runtime, plain, image, property(stack.connection(), vm, "TapDevice"));
    auto t1 = Clock::now();
    pid_t qemu = spawn(by_hand, plain / "qemu.log");
    plain_us.push_back(wait_text_us(plain / "console.log", "banger: guest ready", t1));
    stop_process(qemu);
    call(stack.connection(), vm, "Delete");
  }
  auto b = stats(banger_us), p = stats(plain_us);
  double ratio = b.median_us / p.median_us;
  std::cout << fmt::format("  QEMU guest ready: banger Start {:6.2f} s, plain qemu {:6.2f} s (medians of {})  "
                           "ratio {:.2f}  target <= 1.10  {}\n",
                           b.median_us / 1e6, p.median_us / 1e6, kBoots, ratio, verdict(ratio <= 1.10));
  figure("lifecycle.qemu_ready_ratio", ratio, "x", "<=", 1.10, "QEMU guest ready: banger Start / plain qemu");
  std::string each;
  for (int i = 0; i < kBoots; ++i) each += fmt::format(" {:.2f}/{:.2f}", banger_us[i] / 1e6, plain_us[i] / 1e6);
  std::cout << "    each boot, banger/plain (s):" << each << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::cout << fmt::format("banger lifecycle bench ({} cores)\n", std::thread::hardware_concurrency());
  fake_firecracker_figures(BANGER_SOURCE_ROOT);
  if (argc > 1 && std::string(argv[1]) == "--no-qemu") return 0;  // the quick part only, while tuning
  const fs::path image = BANGER_IMAGE_DIR;
  std::string build = std::string("'") + BANGER_SOURCE_ROOT + "/scripts/build-default-image.sh' '" + image.string() +
                      "' >/dev/null";
  if (std::system(build.c_str()) != 0) {
    std::cout << "  QEMU figures: the default image could not be built (see scripts/build-default-image.sh)\n";
    return short_mode() ? 0 : 1;  // short mode: the bench ran; no image is not a crash
  }
  qemu_figures(BANGER_SOURCE_ROOT, image);
  return 0;
}
