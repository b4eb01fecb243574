#include "fake_firecracker_api.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "fake_firecracker_schema.h"

namespace fakefc {

namespace {

using nlohmann::json;

Reply instance_info(const std::string& id, bool started, bool paused) {
  json info{{"app_name", "Firecracker"},
            {"id", id},
            {"state", !started ? "Not started" : paused ? "Paused" : "Running"},
            {"vmm_version", version}};
  return {200, info.dump()};
}

}  // namespace

Reply fault(const std::string& message) { return {400, json{{"fault_message", message}}.dump()}; }

// PUT /actions: the guest's lifecycle. Returns the fault message, empty on success.
std::string Vmm::action(const std::string& type) {
  if (type == "InstanceStart") {
    if (started_) return "The requested operation is not supported after starting the microVM.";
    // Stricter than Firecracker (which has machine-config defaults), so that
    // banger is caught if it ever forgets to size the VM.
    if (!machine_config_) return "Cannot start microvm without machine-config configured.";
    if (!boot_source_) return "Cannot start microvm that was not configured with a boot source.";
    started_ = true;
    guest_writes(64);  // the guest boots: its kernel and first processes in memory
    return {};
  }
  if (type == "SendCtrlAltDel") {
    if (!started_) return "The requested operation is not supported before starting the microVM.";
    shutdown_ = true;  // the simulated guest powers off
    return {};
  }
  if (type == "FlushMetrics") return metrics_ ? "" : "The metrics system is not initialized.";
  return "InstanceActionInfo: unknown variant `" + type +
         "`, expected one of `FlushMetrics`, `InstanceStart`, `SendCtrlAltDel`";
}

// Firecracker opens the files it is given; "" when `path` exists.
std::string Vmm::missing_file(const std::string& what, const std::string& path) const {
  if (!chroot_.empty() && (path.empty() || path[0] != '/' || path.find("..") != std::string::npos))
    return what + ": not a path inside the jail: " + path;
  return std::filesystem::exists(chroot_ + path) ? "" : what + ": No such file or directory: " + path;
}

Reply Vmm::handle(const std::string& method, const std::string& path, const std::string& text) {
  if (method == "GET" && path == "/") return instance_info(id_, started_, paused_);
  if (method == "GET" && path == "/version") return {200, json{{"firecracker_version", version}}.dump()};

  json body = text.empty() ? json() : json::parse(text, nullptr, false);
  if (body.is_discarded()) return fault("An error occurred when deserializing the json body of a request");
  const bool pre_boot = path == "/logger" || path == "/metrics" || path == "/machine-config" ||
                        path == "/boot-source" || path.rfind("/drives/", 0) == 0 ||
                        path.rfind("/network-interfaces/", 0) == 0;
  if (method == "PUT" && pre_boot && started_)
    return fault("The requested operation is not supported after starting the microVM.");

  std::string error;
  if (method == "PUT" && path == "/logger") {
    error = check_schema(body, "Logger", {{"level", Type::string}, {"log_path", Type::string},
                                          {"show_level", Type::boolean}, {"show_log_origin", Type::boolean},
                                          {"module", Type::string}});
    if (error.empty() && !one_of(body, "level", {"Error", "Warning", "Info", "Debug", "Trace", "Off"}))
      error = "Logger: invalid level";
    // Firecracker opens, never creates, the log file.
    if (error.empty() && body.contains("log_path")) error = missing_file("Logger", body["log_path"].get<std::string>());
    if (error.empty() && body.contains("log_path")) log_path_ = chroot_ + body["log_path"].get<std::string>();
  } else if (method == "PUT" && path == "/metrics") {
    error = check_schema(body, "Metrics", {{"metrics_path", Type::string, true}, {"emit_id", Type::boolean},
                                           {"properties", Type::object}});
    if (error.empty() && metrics_) error = "Reinitialization of metrics not allowed.";
    if (error.empty()) error = missing_file("Metrics", body["metrics_path"].get<std::string>());
    if (error.empty()) metrics_ = true;
  } else if (method == "PUT" && path == "/machine-config") {
    error = check_schema(body, "MachineConfiguration",
                         {{"vcpu_count", Type::integer, true}, {"mem_size_mib", Type::integer, true},
                          {"smt", Type::boolean}, {"track_dirty_pages", Type::boolean},
                          {"huge_pages", Type::string}, {"cpu_template", Type::string}});
    if (error.empty() && (body["vcpu_count"] < 1 || body["vcpu_count"] > 32))
      error = "The vCPU number is invalid! The vCPU number can only be 1 or an even number when SMT is enabled.";
    if (error.empty() && body["mem_size_mib"] < 1) error = "The memory size (MiB) is invalid.";
    if (error.empty() && body.value("smt", false) && body["vcpu_count"] != 1 && body["vcpu_count"].get<int>() % 2)
      error = "The vCPU number is invalid! The vCPU number can only be 1 or an even number when SMT is enabled.";
    if (error.empty() && !one_of(body, "huge_pages", {"None", "Transparent", "2M"})) error = "Invalid huge_pages";
    if (error.empty()) {
      machine_config_ = true;
      machine_config_body_ = body;
      track_dirty_pages_ = body.value("track_dirty_pages", false);
    }
  } else if (method == "PUT" && path == "/boot-source") {
    error = check_schema(body, "BootSource", {{"kernel_image_path", Type::string, true},
                                              {"boot_args", Type::string}, {"initrd_path", Type::string}});
    // Outside a jail the tests pass files that need not exist.
    if (error.empty() && !chroot_.empty()) error = missing_file("BootSource", body["kernel_image_path"]);
    if (error.empty() && !chroot_.empty() && body.contains("initrd_path"))
      error = missing_file("BootSource", body["initrd_path"]);
    if (error.empty()) boot_source_ = true;
  } else if (method == "PUT" && path.rfind("/drives/", 0) == 0) {
    error = check_schema(body, "Drive", {{"drive_id", Type::string, true}, {"is_root_device", Type::boolean, true},
                                         {"partuuid", Type::string}, {"cache_type", Type::string},
                                         {"is_read_only", Type::boolean}, {"path_on_host", Type::string},
                                         {"rate_limiter", Type::object}, {"io_engine", Type::string},
                                         {"socket", Type::string}});
    if (error.empty() && body["drive_id"] != path.substr(8))
      error = "The id from the path does not match the id from the body!";
    if (error.empty() && !chroot_.empty() && body.contains("path_on_host"))
      error = missing_file("Drive", body["path_on_host"]);
    if (error.empty() && (!one_of(body, "cache_type", {"Unsafe", "Writeback"}) ||
                          !one_of(body, "io_engine", {"Sync", "Async"})))
      error = "Drive: invalid cache_type or io_engine";
    if (error.empty()) drives_[body["drive_id"].get<std::string>()] = body;
  } else if (method == "PUT" && path.rfind("/network-interfaces/", 0) == 0) {
    error = check_schema(body, "NetworkInterface",
                         {{"iface_id", Type::string, true}, {"host_dev_name", Type::string, true},
                          {"guest_mac", Type::string}, {"mtu", Type::integer},
                          {"rx_rate_limiter", Type::object}, {"tx_rate_limiter", Type::object}});
    if (error.empty() && body["iface_id"] != path.substr(20))
      error = "The id from the path does not match the id from the body!";
    if (error.empty()) interfaces_[body["iface_id"].get<std::string>()] = body;
  } else if (method == "PUT" && path == "/actions") {
    error = check_schema(body, "InstanceActionInfo", {{"action_type", Type::string, true}});
    if (error.empty()) error = action(body["action_type"].get<std::string>());
  } else if (method == "PATCH" && path == "/vm") {
    error = check_schema(body, "Vm", {{"state", Type::string, true}});
    if (error.empty() && !one_of(body, "state", {"Paused", "Resumed"})) error = "Vm: unknown variant of state";
    if (error.empty() && !started_)
      error = "The requested operation is not supported before starting the microVM.";
    if (error.empty()) {
      const bool resumed = paused_ && body["state"] == "Resumed";
      paused_ = body["state"] == "Paused";
      if (resumed) guest_writes(8);  // the guest runs again and writes
    }
  } else if (method == "PUT" && path == "/snapshot/create") {
    error = create_snapshot(body);
  } else if (method == "PUT" && path == "/snapshot/load") {
    try {
      error = load_snapshot(body);
    } catch (const json::exception& e) {  // a state file whose JSON is not the fake's: refused, never a crash
      error = std::string("Cannot load the microVM state: corrupt: ") + e.what();
    }
  } else {
    // Firecracker answers every path/method outside its API with 400.
    return fault("Invalid request method and/or path: " + method + " " + path + ".");
  }
  return error.empty() ? Reply{} : fault(error);
}

}  // namespace fakefc
