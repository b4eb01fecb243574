// Prints banger's bus figures against the targets of issue 2:
//   VM property Get round trip vs the bus daemon's own GetId   (≤ 1.5×)
//   GetManagedObjects and ListVMs with 1,000 VMs               (≤ 10 ms each)
//   CreateVM round trip: record + exported object              (≤ 5 ms)
// It brings up a private dbus-daemon (dbus/private-bus.conf.in) and
// bangerd-test (stand-in backend, polkit off: the bench runs as root, whom
// bangerd allows without asking polkit), all under a temp directory.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numeric>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <sdbus-c++/sdbus-c++.h>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

struct Child {
  pid_t pid = -1;
  ~Child() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
  }
};

pid_t spawn(std::vector<std::string> argv, const fs::path& log, const std::vector<std::string>& env = {}) {
  pid_t pid = fork();
  if (pid == 0) {
    for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
    FILE* out = std::fopen(log.c_str(), "w");
    if (out) {
      dup2(fileno(out), 1);
      dup2(fileno(out), 2);
    }
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

template <typename Pred>
void wait_until(Pred pred, std::chrono::seconds limit, const std::string& what) {
  auto deadline = Clock::now() + limit;
  while (!pred()) {
    if (Clock::now() > deadline) throw std::runtime_error("timed out waiting for " + what);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

struct Stats {
  double median_us, mean_us, p99_us;
};

Stats stats(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  double mean = std::accumulate(us.begin(), us.end(), 0.0) / static_cast<double>(us.size());
  return {us[us.size() / 2], mean, us[std::min(us.size() - 1, us.size() * 99 / 100)]};
}

template <typename F>
double time_us(F f) {
  auto t0 = Clock::now();
  f();
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

std::string rss_of(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return line.substr(6);
  return "?";
}

const char* verdict(bool ok) { return ok ? "ok" : "MISSED"; }

// Nanoseconds the process has spent on a CPU (first field of schedstat).
double cpu_ns(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/schedstat", pid));
  double ns = 0;
  in >> ns;
  return ns;
}

// CPU time (µs) `pid` spends per call of `call`, measured over `count` calls.
template <typename F>
double cpu_us_per_call(pid_t pid, int count, F call) {
  double before = cpu_ns(pid);
  for (int i = 0; i < count; ++i) call();
  return (cpu_ns(pid) - before) / 1000.0 / count;
}

}  // namespace

int main(int argc, char** argv) {
  std::string bangerd = BANGERD_TEST_PATH;
  fs::path source_root = BANGER_SOURCE_ROOT;
  int vm_count = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string opt = argv[i];
    if (opt == "--bangerd") bangerd = argv[i + 1];
    if (opt == "--vms") vm_count = std::stoi(argv[i + 1]);
  }

  fs::path dir = fs::temp_directory_path() / fmt::format("banger-bench-{}", getpid());
  fs::create_directories(dir);
  std::string conf;
  {
    std::ifstream in(source_root / "dbus/private-bus.conf.in");
    std::stringstream ss;
    ss << in.rdbuf();
    conf = std::regex_replace(ss.str(), std::regex("@SOCKET@"), (dir / "bus.sock").string());
    conf = std::regex_replace(conf, std::regex("@POLICY@"), (source_root / "dbus/dev.banger.banger1.conf").string());
    std::ofstream(dir / "bus.conf") << conf;
  }
  std::ofstream(dir / "bangerd.toml") << "[daemon]\npolkit = false\n[vm]\nbackend = \"test\"\n";

  Child bus, daemon;
  bus.pid = spawn({"/usr/bin/dbus-daemon", "--config-file=" + (dir / "bus.conf").string(), "--nofork", "--nopidfile"},
                  dir / "dbus.log");
  wait_until([&] { return fs::exists(dir / "bus.sock"); }, std::chrono::seconds(10), "dbus-daemon");
  std::string address = "unix:path=" + (dir / "bus.sock").string();
  daemon.pid = spawn({bangerd, "--config", (dir / "bangerd.toml").string(), "--state-dir", (dir / "state").string(),
                      "--runtime-dir", (dir / "run").string()},
                     dir / "bangerd.log", {"DBUS_SYSTEM_BUS_ADDRESS=" + address});

  auto conn = sdbus::createSessionBusConnectionWithAddress(address);
  auto dbus = sdbus::createProxy(*conn, "org.freedesktop.DBus", "/org/freedesktop/DBus");
  auto manager = sdbus::createProxy(*conn, "dev.banger.banger1", "/dev/banger/banger1");
  wait_until(
      [&] {
        bool has = false;
        dbus->callMethod("NameHasOwner").onInterface("org.freedesktop.DBus").withArguments(std::string("dev.banger.banger1")).storeResultsTo(has);
        return has;
      },
      std::chrono::seconds(20), "bangerd");

  // CreateVM: the reply comes once the record is committed and the object exported.
  std::vector<double> create_us;
  sdbus::ObjectPath first_vm;
  for (int i = 0; i < vm_count; ++i) {
    sdbus::ObjectPath vm, op;
    std::map<std::string, sdbus::Variant> options{{"memory", sdbus::Variant(std::uint32_t{128})}};
    create_us.push_back(time_us([&] {
      manager->callMethod("CreateVM")
          .onInterface("dev.banger.banger1.Manager")
          .withArguments(fmt::format("bench-{:04}", i), options)
          .storeResultsTo(vm, op);
    }));
    if (i == 0) first_vm = vm;
  }
  using Row = sdbus::Struct<std::string, std::string, std::string, sdbus::ObjectPath>;
  auto list = [&] {
    std::vector<Row> rows;
    manager->callMethod("ListVMs").onInterface("dev.banger.banger1.Manager").storeResultsTo(rows);
    return rows;
  };
  wait_until(
      [&] {
        auto rows = list();
        return std::all_of(rows.begin(), rows.end(), [](const Row& r) { return std::get<2>(r) == "created"; });
      },
      std::chrono::seconds(120), "provisioning of every VM");

  // Alternate the two calls so drift on a busy machine hits both alike.
  auto vm_proxy = sdbus::createProxy(*conn, "dev.banger.banger1", first_vm);
  std::vector<double> getid_us, get_us;
  for (int round = 0; round < 4000; ++round) {
    double a = time_us([&] {
      std::string id;
      dbus->callMethod("GetId").onInterface("org.freedesktop.DBus").storeResultsTo(id);
    });
    double b = time_us([&] {
      sdbus::Variant v;
      vm_proxy->callMethod("Get")
          .onInterface("org.freedesktop.DBus.Properties")
          .withArguments(std::string("dev.banger.banger1.VM"), std::string("State"))
          .storeResultsTo(v);
    });
    if (round >= 500) {  // warm-up
      getid_us.push_back(a);
      get_us.push_back(b);
    }
  }

  std::vector<double> gmo_us, list_us;
  for (int i = 0; i < 40; ++i) {
    // Unparsed: the figure is the daemon's answer and its transfer, not this client's decoding.
    gmo_us.push_back(time_us([&] {
      auto call = manager->createMethodCall("org.freedesktop.DBus.ObjectManager", "GetManagedObjects");
      auto reply = manager->callMethod(call);
      if (reply.isEmpty()) throw std::runtime_error("GetManagedObjects: empty reply");
    }));
    list_us.push_back(time_us([&] {
      if (list().size() != static_cast<std::size_t>(vm_count)) throw std::runtime_error("ListVMs short");
    }));
  }

  // Where the time goes: CPU each process spends per call (the rest is wake-ups and the client).
  auto get_state = [&] {
    sdbus::Variant v;
    vm_proxy->callMethod("Get")
        .onInterface("org.freedesktop.DBus.Properties")
        .withArguments(std::string("dev.banger.banger1.VM"), std::string("State"))
        .storeResultsTo(v);
  };
  auto get_id = [&] {
    std::string id;
    dbus->callMethod("GetId").onInterface("org.freedesktop.DBus").storeResultsTo(id);
  };
  auto get_managed = [&] {
    auto call = manager->createMethodCall("org.freedesktop.DBus.ObjectManager", "GetManagedObjects");
    manager->callMethod(call);
  };
  double bangerd_per_get = cpu_us_per_call(daemon.pid, 2000, get_state);
  double bus_per_get = cpu_us_per_call(bus.pid, 2000, get_state);
  double bus_per_getid = cpu_us_per_call(bus.pid, 2000, get_id);
  double bangerd_per_gmo = cpu_us_per_call(daemon.pid, 20, get_managed);
  double bus_per_gmo = cpu_us_per_call(bus.pid, 20, get_managed);

  auto id = stats(getid_us), get = stats(get_us), create = stats(create_us), gmo = stats(gmo_us), lst = stats(list_us);
  double ratio = get.median_us / id.median_us;
  std::cout << fmt::format("banger bench ({} VMs, {} cores)\n", vm_count, std::thread::hardware_concurrency());
  std::cout << fmt::format("  GetId round trip (bus daemon)   median {:8.1f} us  mean {:8.1f} us\n", id.median_us, id.mean_us);
  std::cout << fmt::format("  VM property Get round trip      median {:8.1f} us  mean {:8.1f} us\n", get.median_us, get.mean_us);
  std::cout << fmt::format("  Get / GetId                     {:.2f}x   target <= 1.5x   {}\n", ratio, verdict(ratio <= 1.5));
  std::cout << fmt::format("  GetManagedObjects               median {:8.2f} ms  p99 {:8.2f} ms  target <= 10 ms  {}\n",
                           gmo.median_us / 1000, gmo.p99_us / 1000, verdict(gmo.median_us <= 10000));
  std::cout << fmt::format("  ListVMs                         median {:8.2f} ms  p99 {:8.2f} ms  target <= 10 ms  {}\n",
                           lst.median_us / 1000, lst.p99_us / 1000, verdict(lst.median_us <= 10000));
  std::cout << fmt::format("  CreateVM (record + object)      median {:8.2f} ms  mean {:6.2f} ms  p99 {:6.2f} ms  target <= 5 ms  {}\n",
                           create.median_us / 1000, create.mean_us / 1000, create.p99_us / 1000,
                           verdict(create.mean_us <= 5000));
  std::cout << fmt::format("  bangerd RSS with {} VMs:       {}\n", vm_count, rss_of(daemon.pid));
  std::cout << fmt::format("  CPU per call: GetId: dbus-daemon {:.1f} us | property Get: bangerd {:.1f} us, dbus-daemon {:.1f} us\n",
                           bus_per_getid, bangerd_per_get, bus_per_get);
  std::cout << fmt::format("  CPU per GetManagedObjects: bangerd {:.2f} ms, dbus-daemon {:.2f} ms\n",
                           bangerd_per_gmo / 1000, bus_per_gmo / 1000);
  if (!getenv("BENCH_KEEP")) fs::remove_all(dir);
  return 0;
}
