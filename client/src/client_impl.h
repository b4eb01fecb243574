#pragma once
// Private state behind banger::client::Client, shared by the .cpp files that
// implement its methods.

#include "banger/bus_names.h"
#include "banger/client.h"
#include "dev.banger.banger1.Image_proxy.h"
#include "dev.banger.banger1.Manager_proxy.h"
#include "dev.banger.banger1.Network_proxy.h"
#include "dev.banger.banger1.VM_proxy.h"

#include <sdbus-c++/sdbus-c++.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace banger::client {

// Proxies here are used for method calls only: registerProxy() is never called,
// so their signal handlers stay unsubscribed and the no-op overrides never run.
// Code that waits for signals subscribes explicitly (see create.cpp, wait.cpp).
class ManagerProxy final
    : public sdbus::ProxyInterfaces<dev::banger::banger1::Manager_proxy, sdbus::ObjectManager_proxy> {
 public:
  explicit ManagerProxy(sdbus::IConnection& connection)
      : ProxyInterfaces(connection, bus::service_name, bus::root_path) {}

 private:
  void onInterfacesAdded(const sdbus::ObjectPath&,
                         const std::map<std::string, std::map<std::string, sdbus::Variant>>&) override {}
  void onInterfacesRemoved(const sdbus::ObjectPath&, const std::vector<std::string>&) override {}
};

class VmProxy final
    : public sdbus::ProxyInterfaces<dev::banger::banger1::VM_proxy, sdbus::Properties_proxy> {
 public:
  VmProxy(sdbus::IConnection& connection, std::string path)
      : ProxyInterfaces(connection, bus::service_name, std::move(path)) {}

 private:
  void onStateChanged(const std::string&, const std::string&, const std::string&) override {}
  void onPropertiesChanged(const std::string&, const std::map<std::string, sdbus::Variant>&,
                           const std::vector<std::string>&) override {}
};

class ImageProxy final
    : public sdbus::ProxyInterfaces<dev::banger::banger1::Image_proxy, sdbus::Properties_proxy> {
 public:
  ImageProxy(sdbus::IConnection& connection, std::string path)
      : ProxyInterfaces(connection, bus::service_name, std::move(path)) {}

 private:
  void onPropertiesChanged(const std::string&, const std::map<std::string, sdbus::Variant>&,
                           const std::vector<std::string>&) override {}
};

class NetworkProxy final
    : public sdbus::ProxyInterfaces<dev::banger::banger1::Network_proxy, sdbus::Properties_proxy> {
 public:
  NetworkProxy(sdbus::IConnection& connection, std::string path)
      : ProxyInterfaces(connection, bus::service_name, std::move(path)) {}

 private:
  void onPropertiesChanged(const std::string&, const std::map<std::string, sdbus::Variant>&,
                           const std::vector<std::string>&) override {}
};

// Hidden: nested classes would otherwise inherit Client's exported visibility.
struct [[gnu::visibility("hidden")]] Client::Impl {
  // No event-loop thread: sd-bus is not thread-safe, so the calling thread both
  // makes calls and dispatches signals (event_pump.h) while holding this mutex.
  std::mutex mutex;
  std::unique_ptr<sdbus::IConnection> connection;
  std::unique_ptr<ManagerProxy> manager;

  std::string resolve(const std::string& ref);  // Manager.GetVM
  VmInfo read_vm(const std::string& path);      // Properties.GetAll
  // Locks, resolves ref, then calls one method of the VM object.
  void on_vm(const std::string& ref, const std::function<void(VmProxy&)>& call);

  VmInfo create_vm(const std::string& name, const CreateOptions& options,
                   const ProgressCallback& progress, std::chrono::milliseconds timeout);
  VmInfo clone_vm(const std::string& ref, const std::string& new_name, const ProgressCallback& progress,
                  std::chrono::milliseconds timeout);
  void wait_for_state(const std::string& ref, const std::string& state,
                      std::chrono::milliseconds timeout);
  ImageInfo import_image(const std::string& name, const ImageSourceFiles& files,
                         const ProgressCallback& progress, std::chrono::milliseconds timeout);
};

// Builds a VmInfo from dev.banger.banger1.VM properties; missing or mistyped
// properties keep their defaults so a newer daemon does not break old clients.
VmInfo vm_from_properties(const std::string& path, const std::map<std::string, sdbus::Variant>& props);
std::vector<PortForwardInfo> forwards_from_property(const std::map<std::string, sdbus::Variant>& props);
ImageInfo image_from_properties(const std::string& path, const std::map<std::string, sdbus::Variant>& props);
NetworkInfo network_from_properties(const std::string& path, const std::map<std::string, sdbus::Variant>& props);

// Every object implementing `interface`, with all its properties, in one round
// trip (GetManagedObjects), converted by `from` and sorted by (name, id), or
// by name for records without an id (networks: names are unique).
template <class Info, class From>
std::vector<Info> managed_objects(ManagerProxy& manager, const std::string& interface, From from) {
  std::vector<Info> out;
  for (const auto& [path, interfaces] : manager.GetManagedObjects()) {
    const auto it = interfaces.find(interface);
    if (it != interfaces.end()) out.push_back(from(path, it->second));
  }
  std::sort(out.begin(), out.end(), [](const Info& a, const Info& b) {
    if constexpr (requires { a.id; })
      return std::tie(a.name, a.id) < std::tie(b.name, b.id);
    else
      return a.name < b.name;
  });
  return out;
}

}  // namespace banger::client
