#pragma once
// Following an Operation object (CreateVM, ImportImage) to its end.

#include "banger/bus_names.h"
#include "banger/client.h"
#include "dev.banger.banger1.Operation_proxy.h"

#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace banger::client::detail {

// Subscribes to the Operation's Finished and PropertiesChanged signals on
// construction; handlers only record what they saw.
class OperationWatch final
    : public sdbus::ProxyInterfaces<dev::banger::banger1::Operation_proxy, sdbus::Properties_proxy> {
 public:
  OperationWatch(sdbus::IConnection& connection, std::string path)
      : ProxyInterfaces(connection, bus::service_name, std::move(path)) {
    registerProxy();
  }
  ~OperationWatch() { unregisterProxy(); }

  bool done = false;
  bool finished_signal = false;
  std::string error;  // "<dbus error name>: <message>", empty on success
  std::string stage;
  double progress = 0.0;
  bool progress_changed = false;

  void apply(const std::map<std::string, sdbus::Variant>& props) {
    auto read = [&props](const char* key, auto& out) {
      const auto it = props.find(key);
      using T = std::decay_t<decltype(out)>;
      if (it == props.end() || !it->second.containsValueOfType<T>()) return false;
      out = it->second.get<T>();
      return true;
    };
    bool now_done = false;
    if (read("Done", now_done) && now_done) done = true;  // never un-done
    if (!finished_signal) read("Error", error);
    // A signal queued before our GetAll reply may carry older progress; the
    // contract's progress only grows, so ignore anything that goes backwards.
    double p = progress;
    std::string s = stage;
    const bool got_p = read("Progress", p);
    const bool got_s = read("Stage", s);
    if ((got_p || got_s) && p >= progress) {
      progress_changed = progress_changed || p != progress || s != stage;
      progress = p;
      stage = s;
    }
  }

 private:
  void onFinished(const bool& success, const std::string& err) override {
    done = true;
    finished_signal = true;
    error = success ? std::string() : (err.empty() ? std::string("operation failed") : err);
  }
  void onPropertiesChanged(const std::string& interface,
                           const std::map<std::string, sdbus::Variant>& changed,
                           const std::vector<std::string>&) override {
    if (interface == bus::operation_interface) apply(changed);
  }
};


// Waits until the Operation at op_path finished, reporting its progress;
// throws its error, a timeout naming `what` ("the VM to be created"), or
// unreachable when bangerd leaves the bus meanwhile.
void follow_operation(sdbus::IConnection& connection, const std::string& op_path,
                      const ProgressCallback& progress, std::chrono::milliseconds timeout,
                      const std::string& what);

}  // namespace banger::client::detail
