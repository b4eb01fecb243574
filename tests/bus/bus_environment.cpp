#include "bus_environment.h"

#include "housekeeping.h"
#include "name_watcher.h"

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <sdbus-c++/sdbus-c++.h>

namespace banger::test {

namespace fs = std::filesystem;

namespace {

constexpr const char* bus_name = "dev.banger.banger1";
constexpr const char* polkit_name = "org.freedesktop.PolicyKit1";
constexpr const char* polkitd_path = "/usr/lib/polkit-1/polkitd";
std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

void must(const RunResult& r, const std::string& what) {
  if (!r.ok()) throw std::runtime_error(what + " failed: " + r.describe());
}

}  // namespace

std::string BusEnvironment::skip_reason() {
  if (geteuid() != 0)
    return "bus tests need root: they install polkit rules, create test users and switch to them";
  for (const char* var : {"BANGER_BANGERD", "BANGER_BANGERCTL", "BANGER_BUS_PROBE", "BANGER_SOURCE_ROOT"})
    if (env_or_empty(var).empty()) return std::string(var) + " is not set (run the bus tests through meson test)";
  return "";
}

BusEnvironment::BusEnvironment()
    : source_root_(env_or_empty("BANGER_SOURCE_ROOT")),
      bangerd_(env_or_empty("BANGER_BANGERD")),
      bangerctl_(env_or_empty("BANGER_BANGERCTL")),
      probe_(env_or_empty("BANGER_BUS_PROBE")) {}

BusEnvironment::~BusEnvironment() {
  try {
    kill_leftover_vms();
  } catch (const std::exception& e) {
    std::cerr << "bus test teardown: stopping VMs: " << e.what() << "\n";
  }
  watcher_.reset();
  daemon_.stop(SIGTERM, 10s);
  polkitd_.stop(SIGTERM, 5s);
  dbus_.stop(SIGTERM, 5s);
  // VMM placeholders run in their own session and outlive bangerd by design.
  // Everything started here mentions the unique temp dir in its command line
  // or environment, so this finds only our own leftovers.
  if (!dir_.empty())
    for (pid_t pid : processes_mentioning(dir_.string() + "/")) kill(pid, SIGKILL);
  remove_polkit_files();
  std::error_code ec;
  if (!dir_.empty() && env_or_empty("BANGER_TEST_KEEP") != "1") fs::remove_all(dir_, ec);
}

void BusEnvironment::start() {
  dir_ = make_run_dir();
  sweep_stale_runs(dir_);

  ensure_users();
  for (const auto& binary : {bangerctl_, probe_})
    if (!run_as("banger-eve", {"/usr/bin/test", "-x", binary}).ok())
      throw std::runtime_error(binary + " is not executable by other users; put the build dir where they can reach it");
  installed_ = install_polkit_files(source_root_, dir_);
  write_bus_config();

  dbus_.start({"dbus-daemon", "--config-file=" + (dir_ / "bus.conf").string(), "--nofork", "--print-address=3"}, {},
              dir_ / "dbus-daemon.log", true);
  address_ = dbus_.read_line(10s);
  watcher_ = std::make_unique<NameWatcher>(address_);

  polkitd_.start({polkitd_path, "--no-debug"}, {{"DBUS_SYSTEM_BUS_ADDRESS", address_}}, dir_ / "polkitd.log");
  watcher_->wait_owned(polkit_name, polkitd_, 20s);

  write_daemon_config();
  set_faults({});
  start_daemon();
}

void BusEnvironment::ensure_users() {
  if (!getgrnam("banger")) must(run({"/usr/sbin/groupadd", "banger"}), "groupadd banger");
  for (const char* user : test_users)
    if (!getpwnam(user))
      must(run({"/usr/sbin/useradd", "-M", "-N", "-s", "/usr/sbin/nologin", user}), std::string("useradd ") + user);

  auto in_banger = [](const char* user) {
    int n = 64;
    std::vector<gid_t> groups(64);
    struct passwd* pw = getpwnam(user);
    while (getgrouplist(user, pw->pw_gid, groups.data(), &n) < 0) groups.resize(static_cast<std::size_t>(n));
    struct group* banger = getgrnam("banger");
    for (int i = 0; i < n; ++i)
      if (groups[static_cast<std::size_t>(i)] == banger->gr_gid) return true;
    return false;
  };
  if (!in_banger("banger-op"))
    must(run({"/usr/sbin/usermod", "-a", "-G", "banger", "banger-op"}), "usermod -a -G banger banger-op");
  for (const char* user : {"banger-alice", "banger-bob", "banger-eve"})
    if (in_banger(user))
      throw std::runtime_error(std::string(user) + " is in group banger; the authorization tests need it outside");
}

void BusEnvironment::remove_polkit_files() {
  for (const auto& path : installed_) {
    std::error_code ec;
    fs::remove(path, ec);
  }
  installed_.clear();
}

void BusEnvironment::write_bus_config() {
  // The same private bus as scripts/demo.sh and the bench bring up.
  std::string config = read_file(source_root_ / "dbus" / "private-bus.conf.in");
  auto fill = [&config](const std::string& key, const std::string& value) {
    for (auto at = config.find(key); at != std::string::npos; at = config.find(key, at + value.size()))
      config.replace(at, key.size(), value);
  };
  fill("@SOCKET@", (dir_ / "bus.sock").string());
  fill("@POLICY@", (source_root_ / "dbus" / "dev.banger.banger1.conf").string());
  write_file(dir_ / "bus.conf", config);
}

void BusEnvironment::write_daemon_config() {
  // A suite that runs bangerd with another backend names its config in BANGER_BUS_DAEMON_CONFIG.
  // "@TEST_DIR@" in it stands for this environment's temp dir.
  const std::string custom = env_or_empty("BANGER_BUS_DAEMON_CONFIG");
  std::string config =
      custom.empty() ? "[daemon]\noperation_linger_s = 30\n\n[vmm]\nbackend = \"test\"\n" : read_file(custom);
  for (auto at = config.find("@TEST_DIR@"); at != std::string::npos; at = config.find("@TEST_DIR@", at))
    config.replace(at, 10, dir_.string());
  write_file(dir_ / "bangerd.toml", config);
  fs::create_directories(dir_ / "state");
  fs::create_directories(dir_ / "run");
}

void BusEnvironment::start_daemon() {
  // A suite may run bangerd under a wrapper that execs it, such as "ip netns exec
  // <ns>" (words split on spaces), so that the daemon's pid stays the one started.
  std::vector<std::string> argv;
  std::istringstream prefix(env_or_empty("BANGER_BANGERD_PREFIX"));
  for (std::string word; prefix >> word;) argv.push_back(word);
  argv.insert(argv.end(), {bangerd_, "--config", (dir_ / "bangerd.toml").string(), "--state-dir",
                           (dir_ / "state").string(), "--runtime-dir", (dir_ / "run").string()});
  EnvOverrides env{{"DBUS_SYSTEM_BUS_ADDRESS", address_},
                   {"BANGER_TEST_FAULTS_FILE", (dir_ / "faults").string()},
                   {"NOTIFY_SOCKET", ""}};
  env.insert(daemon_env_.begin(), daemon_env_.end());
  daemon_.start(argv, env, dir_ / "bangerd.log");
  watcher_->wait_owned(bus_name, daemon_, 20s);
}

void BusEnvironment::stop_daemon() {
  if (!daemon_.running()) return;
  kill(daemon_.pid(), SIGTERM);
  if (!daemon_.wait_exit(15s)) throw std::runtime_error("bangerd did not exit within 15 s of SIGTERM");
}

void BusEnvironment::restart_daemon() {
  stop_daemon();
  start_daemon();
}

void BusEnvironment::kill_daemon() {
  daemon_.stop(SIGKILL, 10s);
  // The bus drops a dead connection's names only once it notices the closed
  // socket; until then a restarted daemon would seem to own the name at once.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (watcher_->has_owner(bus_name)) {
    if (std::chrono::steady_clock::now() >= deadline) throw std::runtime_error("the bus kept a killed bangerd's name");
    std::this_thread::sleep_for(5ms);
  }
}

std::optional<int> BusEnvironment::wait_daemon_exit(std::chrono::milliseconds timeout) {
  if (!daemon_.wait_exit(timeout)) return std::nullopt;
  // As in kill_daemon: a restarted daemon must not seem to own the dead one's name.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (watcher_->has_owner(bus_name)) {
    if (std::chrono::steady_clock::now() >= deadline) throw std::runtime_error("the bus kept a dead bangerd's name");
    std::this_thread::sleep_for(5ms);
  }
  return daemon_.exit_status();
}

void BusEnvironment::set_faults(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  write_file(dir_ / "faults", text);
}

RunResult BusEnvironment::run_as(const std::string& user, const std::vector<std::string>& argv,
                                 std::chrono::milliseconds timeout, const EnvOverrides& extra_env) {
  RunOptions options;
  options.env = {{"DBUS_SYSTEM_BUS_ADDRESS", address_},
                 {"DBUS_SESSION_BUS_ADDRESS", ""},
                 {"HOME", "/"},
                 {"LC_ALL", "C.UTF-8"},
                 {"SYSTEMD_PAGER", "cat"},
                 {"SYSTEMD_COLORS", "0"},
                 {"NO_COLOR", "1"}};
  for (const auto& [k, v] : extra_env) options.env[k] = v;
  if (!user.empty() && user != "root") options.user = user;
  options.timeout = timeout;
  return run(argv, options);
}

RunResult BusEnvironment::busctl(const std::string& user, const std::vector<std::string>& args) {
  std::vector<std::string> argv{"busctl", "--address=" + address_, "--timeout=30"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_as(user, argv);
}

RunResult BusEnvironment::busctl_with_ids(const std::vector<std::string>& ids, const std::vector<std::string>& args) {
  std::vector<std::string> argv{"setpriv"};
  argv.insert(argv.end(), ids.begin(), ids.end());
  argv.insert(argv.end(), {"busctl", "--address=" + address_, "--timeout=30"});
  argv.insert(argv.end(), args.begin(), args.end());
  return run_as("", argv);
}

RunResult BusEnvironment::probe_as(const std::string& user, const std::vector<std::string>& args) {
  std::vector<std::string> argv{probe_};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_as(user, argv);
}

uid_t BusEnvironment::uid_of(const std::string& user) {
  struct passwd* pw = getpwnam(user.c_str());
  if (!pw) throw std::runtime_error("no such user: " + user);
  return pw->pw_uid;
}

std::string BusEnvironment::logs() const {
  std::ostringstream out;
  for (const char* name : {"bangerd.log", "polkitd.log", "dbus-daemon.log"}) {
    std::error_code ec;
    if (!fs::exists(dir_ / name, ec)) continue;
    std::string text = read_file(dir_ / name);
    if (text.size() > 8192) text = "…" + text.substr(text.size() - 8192);
    out << "===== " << name << " =====\n" << text << "\n";
  }
  return out.str();
}

void BusEnvironment::kill_leftover_vms() {
  if (!daemon_.running() || address_.empty()) return;
  auto connection = sdbus::createSessionBusConnectionWithAddress(address_);
  auto manager = sdbus::createProxy(*connection, bus_name, "/dev/banger/banger1");
  std::vector<sdbus::Struct<std::string, std::string, std::string, sdbus::ObjectPath>> vms;
  manager->callMethod("ListVMs").onInterface("dev.banger.banger1.Manager").withTimeout(5s).storeResultsTo(vms);
  for (const auto& vm : vms) {
    const std::string& state = std::get<2>(vm);
    if (state != "starting" && state != "running" && state != "stopping") continue;
    try {
      auto proxy = sdbus::createProxy(*connection, bus_name, std::get<3>(vm));
      proxy->callMethod("Kill").onInterface("dev.banger.banger1.VM").withTimeout(5s);
    } catch (const sdbus::Error&) {
      // best effort: the /proc sweep after the daemon stops catches the rest
    }
  }
}

}  // namespace banger::test
