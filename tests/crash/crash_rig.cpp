#include "crash_rig.h"

#include <fcntl.h>

#include <cstdlib>
#include <map>
#include <thread>

#include "banger/bus_names.h"
#include "housekeeping.h"
#include "image_support.h"

namespace banger::test {

namespace fs = std::filesystem;
using Options = std::map<std::string, sdbus::Variant>;

namespace {

constexpr auto call_timeout = std::chrono::seconds(30);
const std::string service = banger::bus::service_name;
const std::string manager_interface = banger::bus::manager_interface;
const std::string vm_interface = banger::bus::vm_interface;

template <typename F>
void swallowing_bus_errors(F&& f) {
  try {
    f();
  } catch (const sdbus::Error&) {
    // the daemon died under the call, or refused it; the invariants say whether that was fine
  }
}

}  // namespace

CrashRig::CrashRig(BusEnvironment& env, const ScopedNetns& netns) : env_(env), netns_(netns) { reconnect(); }

CrashRig::~CrashRig() {
  join_background();
  dropbear_.stop(SIGTERM, 5s);
}

void CrashRig::reconnect() {
  manager_.reset();
  connection_ = sdbus::createSessionBusConnectionWithAddress(env_.address());
  connection_->enterEventLoopAsync();
  manager_ = sdbus::createProxy(*connection_, service, banger::bus::root_path);
}

CrashSite CrashRig::site() const {
  return {env_.dir() / "state", env_.dir() / "run", std::getenv("FAKE_FIRECRACKER"), &netns_};
}

void CrashRig::prepare() {
  const auto src = env_.dir() / "image-src";
  write_stand_in_image(src);
  SignalRecorder recorder(env_.address());
  import_image_ready(*manager_, recorder, "fc-default",
                     {{"vmlinux", fd_variant(src / "vmlinux")}, {"rootfs", fd_variant(src / "rootfs.ext4")}});
  manager_->callMethod("SetDefaultImage").onInterface(manager_interface).withArguments(std::string("fc-default"));

  // The guest's SSH server: dropbear in the namespace, root's home a directory of
  // ours (a private mount over /root) holding bangerd's key, reached at every
  // address the default network leases (local addresses on lo).
  const auto home = env_.dir() / "guest-home";
  fs::create_directories(home / ".ssh");
  fs::permissions(home, fs::perms::owner_all);
  fs::copy_file(env_.dir() / "state" / "ssh" / "id_ed25519.pub", home / ".ssh" / "authorized_keys");
  const auto host_key = env_.dir() / "guest-host-key";
  if (run({"dropbearkey", "-t", "ed25519", "-f", host_key.string()}).exit_code != 0)
    throw std::runtime_error("dropbearkey failed");
  netns_.ip("link set lo up");
  for (int host = 2; host < 64; ++host) netns_.ip("addr add 10.219.0." + std::to_string(host) + "/32 dev lo");
  dropbear_.start({"ip", "netns", "exec", netns_.name(), "unshare", "--mount", "--propagation", "private", "sh", "-c",
                   "mount --bind \"$0\" /root && exec dropbear -F -E -s -p 22 -r \"$1\"", home.string(),
                   host_key.string()},
                  {}, env_.dir() / "dropbear.log");
}

std::string CrashRig::vm_path(const std::string& name) {
  sdbus::ObjectPath path;
  manager_->callMethod("GetVM").onInterface(manager_interface).withArguments(name).withTimeout(call_timeout).storeResultsTo(path);
  return path;
}

void CrashRig::create(const std::string& name) {
  swallowing_bus_errors([&] {
    sdbus::ObjectPath vm, op;
    manager_->callMethod("CreateVM")
        .onInterface(manager_interface)
        .withArguments(name, Options{{"work_disk", sdbus::Variant(std::uint32_t{64})}})
        .withTimeout(call_timeout)
        .storeResultsTo(vm, op);
  });
}

void CrashRig::start(const std::string& name) {
  swallowing_bus_errors([&] {
    auto vm = sdbus::createProxy(*connection_, service, vm_path(name));
    vm->callMethod("Start").onInterface(vm_interface).withTimeout(call_timeout);
  });
}

void CrashRig::stop(const std::string& name) {
  swallowing_bus_errors([&] {
    auto vm = sdbus::createProxy(*connection_, service, vm_path(name));
    vm->callMethod("Stop").onInterface(vm_interface).withArguments(false).withTimeout(call_timeout);
  });
}

void CrashRig::suspend(const std::string& name) {
  swallowing_bus_errors([&] {
    auto vm = sdbus::createProxy(*connection_, service, vm_path(name));
    vm->callMethod("Suspend").onInterface(vm_interface).withTimeout(call_timeout);
  });
}

void CrashRig::remove(const std::string& name) {
  swallowing_bus_errors([&] {
    auto vm = sdbus::createProxy(*connection_, service, vm_path(name));
    vm->callMethod("Delete").onInterface(vm_interface).withTimeout(call_timeout);
  });
}

void CrashRig::clone(const std::string& name, const std::string& copy) {
  swallowing_bus_errors([&] {
    auto vm = sdbus::createProxy(*connection_, service, vm_path(name));
    sdbus::ObjectPath path, op;
    vm->callMethod("Clone").onInterface(vm_interface).withArguments(copy).withTimeout(call_timeout).storeResultsTo(path, op);
  });
}

void CrashRig::push_workspace(const std::string& name) {
  const auto src = env_.dir() / "workspace-src";
  const auto tar = env_.dir() / "workspace.tar";
  if (!fs::exists(tar)) {
    fs::create_directories(src / "sub");
    for (int i = 0; i < 20; ++i) write_file(src / "sub" / ("f" + std::to_string(i)), std::string(4096, 'x'));
    if (run({"tar", "-cf", tar.string(), "-C", src.string(), "."}).exit_code != 0) throw std::runtime_error("tar failed");
  }
  swallowing_bus_errors([&] {
    auto vm = sdbus::createProxy(*connection_, service, vm_path(name));
    sdbus::ObjectPath op;
    vm->callMethod("PushWorkspace")
        .onInterface(vm_interface)
        .withArguments(sdbus::UnixFd(::open(tar.c_str(), O_RDONLY | O_CLOEXEC), sdbus::adopt_fd),
                       Options{{"target", sdbus::Variant(std::string("ws"))}})
        .withTimeout(call_timeout)
        .storeResultsTo(op);
  });
}

void CrashRig::create_network(const std::string& name, const std::string& subnet) {
  swallowing_bus_errors([&] {
    sdbus::ObjectPath path;
    manager_->callMethod("CreateNetwork")
        .onInterface(manager_interface)
        .withArguments(name, Options{{"subnet", sdbus::Variant(subnet)}})
        .withTimeout(call_timeout)
        .storeResultsTo(path);
  });
}

void CrashRig::in_background(std::function<void()> operation) { background_.emplace_back(std::move(operation)); }

void CrashRig::join_background() {
  for (auto& t : background_) t.join();
  background_.clear();
}

std::string CrashRig::state(const std::string& name) {
  try {
    auto vm = sdbus::createProxy(*connection_, service, vm_path(name));
    return vm->getProperty("State").onInterface(vm_interface).get<std::string>();
  } catch (const sdbus::Error&) {
    return "";
  }
}

bool CrashRig::wait_state(const std::string& name, const std::string& wanted, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (state(name) == wanted) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

void CrashRig::snapshot(const std::string& name, const std::string& checkpoint) {
  swallowing_bus_errors([&] {
    auto vm = sdbus::createProxy(*connection_, service, vm_path(name));
    sdbus::ObjectPath path, operation;
    vm->callMethod("Snapshot")
        .onInterface(vm_interface)
        .withArguments(checkpoint, std::map<std::string, sdbus::Variant>{})
        .withTimeout(call_timeout)
        .storeResultsTo(path, operation);
  });
}

std::string CrashRig::snapshot_path(const std::string& name, const std::string& checkpoint) {
  std::string found;
  swallowing_bus_errors([&] {
    const auto vm = vm_path(name);
    std::map<sdbus::ObjectPath, std::map<std::string, std::map<std::string, sdbus::Variant>>> objects;
    manager_->callMethod("GetManagedObjects")
        .onInterface("org.freedesktop.DBus.ObjectManager")
        .withTimeout(call_timeout)
        .storeResultsTo(objects);
    for (const auto& [path, interfaces] : objects) {
      auto it = interfaces.find("dev.banger.banger1.Snapshot");
      if (it != interfaces.end() && it->second.at("VM").get<sdbus::ObjectPath>() == vm &&
          it->second.at("Name").get<std::string>() == checkpoint)
        found = path;
    }
  });
  return found;
}

void CrashRig::restore_snapshot(const std::string& name, const std::string& checkpoint) {
  swallowing_bus_errors([&] {
    auto snapshot = sdbus::createProxy(*connection_, service, snapshot_path(name, checkpoint));
    snapshot->callMethod("Restore").onInterface("dev.banger.banger1.Snapshot").withTimeout(call_timeout);
  });
}

void CrashRig::delete_snapshot(const std::string& name, const std::string& checkpoint) {
  swallowing_bus_errors([&] {
    auto snapshot = sdbus::createProxy(*connection_, service, snapshot_path(name, checkpoint));
    snapshot->callMethod("Delete").onInterface("dev.banger.banger1.Snapshot").withTimeout(call_timeout);
  });
}

void CrashRig::clone_snapshot(const std::string& name, const std::string& checkpoint, const std::string& copy) {
  swallowing_bus_errors([&] {
    auto snapshot = sdbus::createProxy(*connection_, service, snapshot_path(name, checkpoint));
    sdbus::ObjectPath path, op;
    snapshot->callMethod("Clone")
        .onInterface("dev.banger.banger1.Snapshot")
        .withArguments(copy, std::map<std::string, sdbus::Variant>{})
        .withTimeout(call_timeout)
        .storeResultsTo(path, op);
  });
}

bool CrashRig::network_exists(const std::string& name) {
  try {
    sdbus::ObjectPath path;
    manager_->callMethod("GetNetwork").onInterface(manager_interface).withArguments(name).storeResultsTo(path);
    return true;
  } catch (const sdbus::Error&) {
    return false;
  }
}

void CrashRig::reset(const std::vector<std::string>& keep) {
  std::vector<sdbus::Struct<std::string, std::string, std::string, sdbus::ObjectPath>> vms;
  manager_->callMethod("ListVMs").onInterface(manager_interface).withTimeout(call_timeout).storeResultsTo(vms);
  for (const auto& row : vms) {
    const std::string& name = std::get<1>(row);
    if (std::find(keep.begin(), keep.end(), name) != keep.end()) continue;
    auto vm = sdbus::createProxy(*connection_, service, std::get<3>(row));
    const std::string& state = std::get<2>(row);
    if (state == "running" || state == "failed") swallowing_bus_errors([&] {
      vm->callMethod("Kill").onInterface(vm_interface).withTimeout(call_timeout);
    });
    vm->callMethod("Delete").onInterface(vm_interface).withTimeout(call_timeout);
  }
  std::vector<sdbus::Struct<std::string, std::string, bool, sdbus::ObjectPath>> networks;
  manager_->callMethod("ListNetworks").onInterface(manager_interface).withTimeout(call_timeout).storeResultsTo(networks);
  for (const auto& row : networks)
    if (std::get<0>(row) != "default")
      manager_->callMethod("DeleteNetwork").onInterface(manager_interface).withArguments(std::get<0>(row)).withTimeout(call_timeout);
}

}  // namespace banger::test
