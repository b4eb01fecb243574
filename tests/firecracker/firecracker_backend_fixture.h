#pragma once
// The fixture of the Firecracker backend's tests (test_firecracker_backend.cpp,
// and the saved state's through firecracker_saved_state_fixture.h): a backend
// on fake-firecracker (path in $FAKE_FIRECRACKER), which records every API
// request it gets, and a machine to run.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>

#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "vmm/firecracker/api_client.h"
#include "vmm/firecracker/firecracker_backend.h"
#include "vmm/firecracker/jailer_ids.h"
#include "vmm/firecracker/saved_state.h"
#include "vmm/process.h"

namespace banger::fc_test {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

class FirecrackerBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* fake = std::getenv("FAKE_FIRECRACKER");
    ASSERT_NE(fake, nullptr) << "FAKE_FIRECRACKER must name the fake VMM";
    settings.binary = fake;
    settings.api_timeout = 2000ms;
    char dir[] = "/tmp/banger-fc-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    root = dir;
    machine.vm_id = "vm-0001";
    machine.vcpus = 2;
    machine.memory_mib = 256;
    machine.runtime_dir = root / "run";
    fs::create_directories(machine.runtime_dir);
    machine.kernel = root / "vmlinux";
    machine.initrd = root / "initrd.img";
    machine.kernel_args = {"console=ttyS0", "reboot=k"};
    machine.drives = {{"rootfs", root / "rootfs.ext4", true, false}, {"work", root / "work.ext4", false, true}};
    machine.interfaces = {{"eth0", "tap-banger0", "06:00:AC:10:00:02"}};
  }
  void TearDown() override {
    unsetenv("FAKE_FC_FAIL");
    unsetenv("FAKE_FC_HANG");
    unsetenv("FAKE_FC_RECORD");
    if (!handles.empty()) {
      try {
        FirecrackerBackend(settings).kill(handles);
      } catch (const Error&) {
      }
    }
    std::error_code ignored;
    fs::remove_all(root, ignored);
  }

  fs::path socket() const { return machine.runtime_dir / "firecracker.sock"; }

  std::vector<json> recorded() const { return recorded(socket().string() + ".requests.jsonl"); }
  static std::vector<json> recorded(const fs::path& file) {
    std::vector<json> lines;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
    return lines;
  }

  ProcessId process() const {
    auto j = json::parse(handles);
    return {j["pid"].get<pid_t>(), j["start_time"].get<std::uint64_t>()};
  }

  static json req(const char* method, const std::string& path, json body = nullptr) {
    return json{{"method", method}, {"path", path}, {"body", std::move(body)}};
  }

  static void expect_sequence(const std::vector<json>& got, const std::vector<json>& expected) {
    ASSERT_EQ(got.size(), expected.size()) << json(got).dump(1);
    for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(got[i], expected[i]) << "request " << i;
  }

  static void append(std::vector<json>& to, std::vector<json> more) {
    for (auto& r : more) to.push_back(std::move(r));
  }

  // What every VMM asks first (Logger, then Metrics), booted or loading a saved state.
  std::vector<json> logger_and_metrics() const {
    const std::string run = machine.runtime_dir.string();
    return {req("PUT", "/logger", {{"log_path", run + "/firecracker.log"}, {"level", "Info"}}),
            req("PUT", "/metrics", {{"metrics_path", run + "/metrics.json"}})};
  }

  // The boot requests of the SetUp machine, unjailed as root.
  std::vector<json> boot_requests(json machine_config = {{"vcpu_count", 2}, {"mem_size_mib", 256}, {"smt", false}}) const {
    auto requests = logger_and_metrics();
    for (json r : {req("PUT", "/machine-config", std::move(machine_config)),
                   req("PUT", "/boot-source",
                       {{"kernel_image_path", root.string() + "/vmlinux"},
                        {"boot_args", "console=ttyS0 reboot=k"},
                        {"initrd_path", root.string() + "/initrd.img"}}),
                   req("PUT", "/drives/rootfs",
                       {{"drive_id", "rootfs"}, {"path_on_host", root.string() + "/rootfs.ext4"},
                        {"is_root_device", true}, {"is_read_only", false}}),
                   req("PUT", "/drives/work",
                       {{"drive_id", "work"}, {"path_on_host", root.string() + "/work.ext4"},
                        {"is_root_device", false}, {"is_read_only", true}}),
                   req("PUT", "/network-interfaces/eth0",
                       {{"iface_id", "eth0"}, {"host_dev_name", "tap-banger0"}, {"guest_mac", "06:00:AC:10:00:02"}}),
                   req("PUT", "/actions", {{"action_type", "InstanceStart"}})})
      requests.push_back(std::move(r));
    return requests;
  }

  FirecrackerSettings settings;
  MachineConfig machine;
  fs::path root;
  std::string handles;
};

}  // namespace banger::fc_test
