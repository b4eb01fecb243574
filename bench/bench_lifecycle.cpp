// Prints banger's lifecycle figures against the targets of issue 3:
//   Start round trip against the fake Firecracker VMM         (bangerd's overhead ≤ 10 ms median)
//   create → start → stop → delete cycles per second, fake     (≥ 10 per second on 2 cores)
//   real QEMU guest: Start until the guest says it is ready,
//   beside the same qemu command line started by hand         (ratio ≤ 1.10)
#include <fcntl.h>
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
  std::map<std::string, sdbus::Variant> options{{"memory", sdbus::Variant(std::uint32_t{256})}};
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

void fake_firecracker_figures(const fs::path& source_root) {
  Stack stack(BANGERD_TEST_PATH, source_root,
              fmt::format("[daemon]\npolkit = false\n[vm]\nbackend = \"firecracker\"\nstop_timeout_s = 10\n"
                          "[firecracker]\nbinary = \"{}\"\n",
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

  std::vector<double> start_us;
  for (int i = 0; i < 20; ++i) {
    auto vm = create(stack.manager(), fmt::format("start-{}", i));
    wait_created(stack.connection(), vm);
    start_us.push_back(time_us([&] { call(stack.connection(), vm, "Start"); }));
    call(stack.connection(), vm, "Kill");
    call(stack.connection(), vm, "Delete");
  }
  const int cycles = 30;
  double total_us = time_us([&] {
    for (int i = 0; i < cycles; ++i) {
      auto vm = create(stack.manager(), fmt::format("cycle-{}", i));
      wait_created(stack.connection(), vm);
      call(stack.connection(), vm, "Start");
      call(stack.connection(), vm, "Stop");
      call(stack.connection(), vm, "Delete");
    }
  });
  auto s = stats(start_us);
  double rate = cycles / (total_us / 1e6);
  std::cout << fmt::format("  Start round trip, fake Firecracker  median {:6.2f} ms  p99 {:6.2f} ms  "
                           "(launch + 6 API calls + InstanceStart)  target <= 10 ms  {}\n",
                           s.median_us / 1000, s.p99_us / 1000, verdict(s.median_us <= 10000));
  std::cout << fmt::format("  create/start/stop/delete cycles     {:6.1f} per second   target >= 10  {}\n", rate,
                           verdict(rate >= 10));
}

void qemu_figures(const fs::path& source_root, const fs::path& image) {
  Stack stack(BANGERD_TEST_PATH, source_root, "[daemon]\npolkit = false\n[vm]\nbackend = \"qemu\"\n");
  import_default_image(stack,
                       {{"kernel", image / "vmlinuz"}, {"initrd", image / "initrd.img"}, {"rootfs", image / "rootfs.ext4"}});
  std::vector<double> banger_us, plain_us;
  for (int i = 0; i < 3; ++i) {
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
    std::vector<std::string> by_hand;
    for (auto arg : argv) {
      if (arg == "-S") continue;
      for (auto at = arg.find(runtime.string()); at != std::string::npos; at = arg.find(runtime.string()))
        arg.replace(at, runtime.string().size(), plain.string());
      by_hand.push_back(arg);
    }
    auto t1 = Clock::now();
    pid_t qemu = spawn(by_hand, plain / "qemu.log");
    plain_us.push_back(wait_text_us(plain / "console.log", "banger: guest ready", t1));
    stop_process(qemu);
    call(stack.connection(), vm, "Delete");
  }
  auto b = stats(banger_us), p = stats(plain_us);
  double ratio = b.median_us / p.median_us;
  std::cout << fmt::format("  QEMU guest ready: banger Start {:6.2f} s, plain qemu {:6.2f} s (medians of 3)  "
                           "ratio {:.2f}  target <= 1.10  {}\n",
                           b.median_us / 1e6, p.median_us / 1e6, ratio, verdict(ratio <= 1.10));
}

}  // namespace

int main() {
  std::cout << fmt::format("banger lifecycle bench ({} cores)\n", std::thread::hardware_concurrency());
  fake_firecracker_figures(BANGER_SOURCE_ROOT);
  const fs::path image = BANGER_IMAGE_DIR;
  std::string build = std::string("'") + BANGER_SOURCE_ROOT + "/scripts/build-default-image.sh' '" + image.string() +
                      "' >/dev/null";
  if (std::system(build.c_str()) != 0) {
    std::cout << "  QEMU figures: the default image could not be built (see scripts/build-default-image.sh)\n";
    return 1;
  }
  qemu_figures(BANGER_SOURCE_ROOT, image);
  return 0;
}
