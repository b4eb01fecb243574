#pragma once
// The fixture of the Firecracker backend's tests (test_firecracker_backend.cpp,
// test_firecracker_saved_state.cpp): a backend on fake-firecracker (path in
// $FAKE_FIRECRACKER), which records every API request it gets, and a machine to run.
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

  FirecrackerSettings settings;
  MachineConfig machine;
  fs::path root;
  std::string handles;
};


}  // namespace banger::fc_test
