// Client::list_stats, get_stats and watch_stats: the VMs' stats properties,
// read at once or followed live from bangerd's signals.
#include "client_impl.h"
#include "errors_internal.h"
#include "event_pump.h"
#include "properties.h"
#include "dev.banger.banger1.VM_properties.h"

#include <poll.h>

#include <cerrno>
#include <climits>

namespace banger::client {

namespace {

using detail::take;
namespace VM = properties::VM;
using Clock = std::chrono::steady_clock;

VmStats stats_from_properties(const std::string& path, const std::map<std::string, sdbus::Variant>& props) {
  VmStats s;
  s.path = path;
  take<VM::Id>(props, s.id);
  take<VM::Name>(props, s.name);
  take<VM::State>(props, s.state);
  take<VM::CPUPercent>(props, s.cpu_percent);
  take<VM::MemoryRSSBytes>(props, s.memory_rss_bytes);
  take<VM::BlockReadBytes>(props, s.block_read_bytes);
  take<VM::BlockWriteBytes>(props, s.block_write_bytes);
  take<VM::NetRxBytes>(props, s.net_rx_bytes);
  take<VM::NetTxBytes>(props, s.net_tx_bytes);
  take<VM::Uptime>(props, s.uptime_s);
  return s;
}

// One VM as the watch knows it: Uptime is signalled only along with other
// changes, so it counts on from when it was last heard.
struct Followed {
  VmStats stats;
  Clock::time_point uptime_at;
};

class StatsWatch {
 public:
  StatsWatch(sdbus::IConnection& connection, ManagerProxy& manager)
      : connection_(connection), manager_(manager), owner_(connection) {
    // Subscribed before the first read, so no change falls in between.
    changes_ = connection_.addMatch(std::string("type='signal',sender='") + bus::service_name +
                                        "',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',"
                                        "path_namespace='" + bus::root_path + "',arg0='" + bus::vm_interface + "'",
                                    [this](sdbus::Message& msg) { on_properties_changed(msg); });
    objects_ = connection_.addMatch(std::string("type='signal',sender='") + bus::service_name +
                                        "',interface='org.freedesktop.DBus.ObjectManager',path='" + bus::root_path +
                                        "'",
                                    [this](sdbus::Message&) { reload_ = true; });
  }

  void run(const StatsCallback& update, int input_fd, const std::function<bool()>& on_input) {
    auto last_update = Clock::now();
    for (;;) {
      if (reload_) load();
      if (changed_) {
        changed_ = false;
        last_update = Clock::now();
        if (!update(current())) return;
      }
      while (!reload_ && connection_.processPendingRequest()) {
      }
      if (owner_.gone()) throw Error(ErrorCode::unreachable, {}, "bangerd left the bus");
      if (reload_ || changed_) continue;

      const auto data = connection_.getEventLoopPollData();
      pollfd fds[2] = {{data.fd, data.events, 0}, {input_fd, POLLIN, 0}};
      int timeout = data.getPollTimeout();
      if (counting()) {
        const auto tick = std::chrono::duration_cast<std::chrono::milliseconds>(
                              last_update + std::chrono::seconds(1) - Clock::now()).count();
        const int left = static_cast<int>(std::clamp<long long>(tick, 0, INT_MAX));
        timeout = timeout < 0 ? left : std::min(timeout, left);
      }
      const int ready = ::poll(fds, input_fd >= 0 ? 2 : 1, timeout);
      if (ready < 0 && errno != EINTR) throw sdbus::createError(errno, "poll on the bus failed");
      if (input_fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0 && on_input && !on_input()) return;
      if (counting() && Clock::now() >= last_update + std::chrono::seconds(1)) changed_ = true;
    }
  }

 private:
  void load() {
    reload_ = false;
    changed_ = true;
    const auto now = Clock::now();
    vms_.clear();
    for (const auto& [path, interfaces] : manager_.GetManagedObjects()) {
      const auto it = interfaces.find(bus::vm_interface);
      if (it != interfaces.end()) vms_[path] = {stats_from_properties(path, it->second), now};
    }
  }

  void on_properties_changed(sdbus::Message& msg) {
    // Nothing may unwind through sd_bus_process(); dbus-daemon sends no malformed signals anyway.
    try {
      std::string interface;
      std::map<std::string, sdbus::Variant> props;
      std::vector<std::string> invalidated;
      msg >> interface >> props >> invalidated;
      const auto it = vms_.find(msg.getPath());
      if (it == vms_.end() || !invalidated.empty()) {
        reload_ = true;
        return;
      }
      auto& vm = it->second;
      const auto updated = stats_from_properties(vm.stats.path, props);
      // Only what the signal names changes.
      auto keep = [&props](const char* name, auto& field, const auto& value) {
        if (props.contains(name)) field = value;
      };
      keep("Name", vm.stats.name, updated.name);
      keep("State", vm.stats.state, updated.state);
      keep("CPUPercent", vm.stats.cpu_percent, updated.cpu_percent);
      keep("MemoryRSSBytes", vm.stats.memory_rss_bytes, updated.memory_rss_bytes);
      keep("BlockReadBytes", vm.stats.block_read_bytes, updated.block_read_bytes);
      keep("BlockWriteBytes", vm.stats.block_write_bytes, updated.block_write_bytes);
      keep("NetRxBytes", vm.stats.net_rx_bytes, updated.net_rx_bytes);
      keep("NetTxBytes", vm.stats.net_tx_bytes, updated.net_tx_bytes);
      if (props.contains("Uptime")) {
        vm.stats.uptime_s = updated.uptime_s;
        vm.uptime_at = Clock::now();
      }
      changed_ = true;
    } catch (const sdbus::Error&) {
    }
  }

  bool counting() const {
    for (const auto& [path, vm] : vms_)
      if (vm.stats.uptime_s > 0) return true;
    return false;
  }

  std::vector<VmStats> current() const {
    const auto now = Clock::now();
    std::vector<VmStats> out;
    out.reserve(vms_.size());
    for (const auto& [path, vm] : vms_) {
      out.push_back(vm.stats);
      if (vm.stats.uptime_s > 0)
        out.back().uptime_s += std::chrono::duration_cast<std::chrono::seconds>(now - vm.uptime_at).count();
    }
    std::sort(out.begin(), out.end(),
              [](const VmStats& a, const VmStats& b) { return std::tie(a.name, a.id) < std::tie(b.name, b.id); });
    return out;
  }

  sdbus::IConnection& connection_;
  ManagerProxy& manager_;
  detail::OwnerWatch owner_;
  sdbus::Slot changes_;
  sdbus::Slot objects_;
  std::map<std::string, Followed> vms_;  // by object path
  bool reload_ = true;
  bool changed_ = false;
};

}  // namespace

using detail::translate;

std::vector<VmStats> Client::list_stats() {
  std::lock_guard lock(impl_->mutex);
  return translate(
      [&] { return managed_objects<VmStats>(*impl_->manager, bus::vm_interface, stats_from_properties); });
}

VmStats Client::get_stats(const std::string& ref) {
  std::lock_guard lock(impl_->mutex);
  return translate([&] {
    const auto path = impl_->resolve(ref);
    VmProxy vm(*impl_->connection, path);
    return stats_from_properties(path, vm.GetAll(bus::vm_interface));
  });
}

void Client::watch_stats(const StatsCallback& update, int input_fd, const std::function<bool()>& on_input) {
  std::lock_guard lock(impl_->mutex);
  translate([&] {
    StatsWatch watch(*impl_->connection, *impl_->manager);
    watch.run(update, input_fd, on_input);
  });
}

}  // namespace banger::client
