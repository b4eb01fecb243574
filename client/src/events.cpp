// Client::follow_events: bangerd's object and property signals as Event records.
#include "client_impl.h"
#include "errors_internal.h"
#include "event_pump.h"
#include "events_values.h"

#include <deque>

namespace banger::client {

namespace {

using Properties = std::map<std::string, sdbus::Variant>;

std::string kind_of(const std::string& interface) {
  if (interface == bus::vm_interface) return "vm";
  if (interface == bus::image_interface) return "image";
  if (interface == bus::network_interface) return "network";
  if (interface == bus::operation_interface) return "operation";
  if (interface == bus::manager_interface) return "manager";
  return "";
}

// The name an event shows for an object: its Name property, or for an
// Operation (which has none) the number its path ends with.
class Names {
 public:
  void learn(const std::string& path, const std::string& interface, const Properties& props) {
    if (const auto it = props.find("Name"); it != props.end() && it->second.containsValueOfType<std::string>())
      names_[path] = it->second.get<std::string>();
    else if (interface == bus::operation_interface)
      names_[path] = path.substr(path.rfind('/') + 1);
  }
  void forget(const std::string& path) { names_.erase(path); }
  std::string of(const std::string& path) const {
    const auto it = names_.find(path);
    return it == names_.end() ? "" : it->second;
  }

 private:
  std::map<std::string, std::string> names_;
};

// Subscribes on construction; the match handlers only queue events, so the
// callback runs outside sd-bus and may do anything.
class EventFeed {
 public:
  EventFeed(sdbus::IConnection& connection, ManagerProxy& manager) {
    const std::string sender = std::string("type='signal',sender='") + bus::service_name + "',";
    slots_.push_back(connection.addMatch(sender + "interface='org.freedesktop.DBus.ObjectManager'",
                                         [this](sdbus::Message& m) { guarded([&] { on_object_manager(m); }); }));
    slots_.push_back(connection.addMatch(sender + "interface='org.freedesktop.DBus.Properties',member='PropertiesChanged'",
                                         [this](sdbus::Message& m) { guarded([&] { on_properties(m); }); }));
    slots_.push_back(connection.addMatch(sender + "interface='" + bus::vm_interface + "',member='StateChanged'",
                                         [this](sdbus::Message& m) { guarded([&] { on_state(m); }); }));
    // After subscribing, so no object appears unnamed in between.
    for (const auto& [path, interfaces] : manager.GetManagedObjects())
      for (const auto& [interface, props] : interfaces) names_.learn(path, interface, props);
  }

  std::deque<Event> pending;

 private:
  // A malformed signal cannot come from bangerd; never unwind through sd_bus_process().
  template <class F>
  static void guarded(F f) {
    try {
      f();
    } catch (const sdbus::Error&) {
    }
  }

  Event make(const std::string& type, const std::string& path, const std::string& interface) {
    Event e;
    e.time = std::chrono::system_clock::now();
    e.type = type;
    e.path = path;
    e.interface = interface;
    e.kind = kind_of(interface);
    e.name = names_.of(path);
    return e;
  }

  void on_object_manager(sdbus::Message& m) {
    sdbus::ObjectPath path;
    m >> path;
    if (m.getMemberName() == "InterfacesAdded") {
      std::map<std::string, Properties> interfaces;
      m >> interfaces;
      for (const auto& [interface, props] : interfaces) {
        if (kind_of(interface).empty()) continue;  // the standard interfaces every object has
        names_.learn(path, interface, props);
        auto e = make("added", path, interface);
        for (const auto& [name, value] : props) e.changes.emplace_back(name, detail::value_text(value));
        pending.push_back(std::move(e));
      }
    } else if (m.getMemberName() == "InterfacesRemoved") {
      std::vector<std::string> interfaces;
      m >> interfaces;
      for (const auto& interface : interfaces)
        if (!kind_of(interface).empty()) pending.push_back(make("removed", path, interface));
      names_.forget(path);
    }
  }

  void on_properties(sdbus::Message& m) {
    std::string interface;
    Properties changed;
    std::vector<std::string> invalidated;
    m >> interface >> changed >> invalidated;
    if (kind_of(interface).empty()) return;
    names_.learn(m.getPath(), interface, changed);  // a rename
    auto e = make("properties", m.getPath(), interface);
    for (const auto& [name, value] : changed) e.changes.emplace_back(name, detail::value_text(value));
    for (const auto& name : invalidated) e.changes.emplace_back(name, std::nullopt);
    pending.push_back(std::move(e));
  }

  void on_state(sdbus::Message& m) {
    std::string old_state, new_state, reason;
    m >> old_state >> new_state >> reason;
    auto e = make("state", m.getPath(), bus::vm_interface);
    e.changes = {{"old_state", old_state}, {"new_state", new_state}, {"reason", reason}};
    pending.push_back(std::move(e));
  }

  Names names_;
  std::vector<sdbus::Slot> slots_;
};

}  // namespace

void Client::follow_events(const EventCallback& on_event, const std::function<bool()>& keep_going,
                           const std::function<void()>& subscribed) {
  detail::translate([&] {
    std::lock_guard lock(impl_->mutex);
    EventFeed feed(*impl_->connection, *impl_->manager);
    if (subscribed) subscribed();
    auto deliver = [&] {
      while (!feed.pending.empty() && keep_going()) {
        auto e = std::move(feed.pending.front());
        feed.pending.pop_front();
        on_event(e);
      }
    };
    while (keep_going()) {
      detail::pump_until(*impl_->connection, detail::Clock::now() + std::chrono::milliseconds(200),
                         [&] { return !feed.pending.empty() || !keep_going(); }, deliver);
      deliver();
    }
  });
}

}  // namespace banger::client
