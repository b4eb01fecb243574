// The Firecracker backend behind the whole service: D-Bus calls on a private
// bus reach bangerd, which drives the fake VMM over its HTTP API.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../qemu/vmm_privileges.h"
#include "fake_image_test.h"

namespace banger::test {
namespace {

namespace fs = std::filesystem;

class FirecrackerBus : public FakeImageTest {
 protected:
  std::string id_of(const std::string& vm) { return client_->vm_string(vm, "Id"); }
  fs::path runtime_dir(const std::string& vm) { return env().dir() / "run" / "vms" / id_of(vm); }
  // What the VMM, run as its VM's own uid, may write: its API socket, log and metrics.
  fs::path vmm_dir(const std::string& vm) { return runtime_dir(vm) / "vmm"; }

  // What the fake recorded, read while the VM runs (stop removes the runtime dir).
  std::vector<nlohmann::json> requests(const std::string& vm) {
    std::vector<nlohmann::json> out;
    std::ifstream in(vmm_dir(vm) / "firecracker.sock.requests.jsonl");
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  }
  // The file a drive request names: run as the VM's uid, the VMM is given
  // /proc/self/fd/N, which is read back from the running VMM's descriptor N.
  std::string drive_file(const std::string& vm, const nlohmann::json& request) {
    const std::string named = request["body"]["path_on_host"];
    const std::string self = "/proc/self/";
    if (named.rfind(self, 0) != 0) return named;
    const pid_t pid = recorded_vmm_pid(runtime_dir(vm));
    std::error_code ec;
    const auto target = fs::read_symlink("/proc/" + std::to_string(pid) + "/" + named.substr(self.size()), ec);
    return ec ? named + ": " + ec.message() : target.string();
  }
};

TEST_F(FirecrackerBus, LifecycleOverDBusDrivesTheApi) {
  const std::string vm = client_->create_ready(*recorder_, "fc-vm", {{"vcpus", sdbus::Variant(2u)},
                                                                     {"memory", sdbus::Variant(256u)}});
  client_->vm_call(vm, "Start");
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "running")) << client_->vm_string(vm, "LastError");

  auto sent = requests(vm);
  std::vector<std::string> calls;
  for (const auto& r : sent) calls.push_back(r["method"].get<std::string>() + " " + r["path"].get<std::string>());
  EXPECT_EQ(calls, (std::vector<std::string>{"PUT /logger", "PUT /metrics", "PUT /machine-config", "PUT /boot-source",
                                             "PUT /drives/rootfs", "PUT /drives/work", "PUT /actions"}));
  for (const auto& r : sent) {
    if (r["path"] == "/machine-config") {
      EXPECT_EQ(r["body"]["vcpu_count"], 2);
      EXPECT_EQ(r["body"]["mem_size_mib"], 256);
    }
    if (r["path"] == "/drives/rootfs") {
      EXPECT_EQ(r["body"]["is_root_device"], true);
      EXPECT_EQ(drive_file(vm, r), (env().dir() / "state" / "vms" / id_of(vm) / "rootfs.ext4").string());
    }
    if (r["path"] == "/drives/work") {
      // The work disk, the guest's second drive (/dev/vdb, mounted at /work).
      EXPECT_EQ(r["body"]["is_root_device"], false);
      EXPECT_EQ(drive_file(vm, r), (env().dir() / "state" / "vms" / id_of(vm) / "work.ext4").string());
    }
    if (r["path"] == "/boot-source") {
      EXPECT_NE(r["body"]["boot_args"].get<std::string>().find("banger.hostname=fc-vm"), std::string::npos);
      EXPECT_NE(r["body"]["boot_args"].get<std::string>().find("banger.work=/dev/vdb"), std::string::npos);
    }
  }

  // Graceful stop: SendCtrlAltDel, and the fake's guest shuts down.
  client_->stop(vm);
  EXPECT_EQ(client_->vm_string(vm, "State"), "stopped");
  const auto vm_dir = env().dir() / "state" / "vms" / id_of(vm);
  EXPECT_TRUE(fs::exists(vm_dir / "rootfs.ext4"));
  client_->vm_call(vm, "Delete");
  EXPECT_FALSE(fs::exists(vm_dir)) << "the VM's root disk and directory go with it";
}

TEST_F(FirecrackerBus, MissingImageIsRefusedByCreateVmItself) {
  auto e = error_of([&] { client_->create_vm("fc-no-image", {{"image", sdbus::Variant(std::string("missing"))}}); });
  ASSERT_TRUE(e) << "CreateVM accepted an image that is not installed";
  EXPECT_EQ(e->getName(), banger::bus::error::no_such_image);
  EXPECT_NE(e->getMessage().find("missing"), std::string::npos) << e->getMessage();
  EXPECT_TRUE(error_of([&] { client_->get_vm("fc-no-image"); })) << "no VM may be left behind";
}

TEST_F(FirecrackerBus, ImageWithoutVmlinuxIsRefusedByCreateVm) {
  auto e = error_of([&] { client_->create_vm("fc-bzimage", {{"image", sdbus::Variant(std::string("qemu-only"))}}); });
  ASSERT_TRUE(e) << "CreateVM accepted an image Firecracker cannot boot";
  EXPECT_EQ(e->getName(), banger::bus::error::invalid_args);
  EXPECT_NE(e->getMessage().find("vmlinux"), std::string::npos) << e->getMessage();
  EXPECT_TRUE(error_of([&] { client_->get_vm("fc-bzimage"); })) << "no VM may be left behind";
}

TEST_F(FirecrackerBus, VmmKilledBehindBangersBackIsNoticed) {
  const std::string vm = client_->create_ready(*recorder_, "fc-crash");
  client_->vm_call(vm, "Start");
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "running"));
  const auto run_dir = env().dir() / "run" / "vms" / id_of(vm);
  auto ps = env().run_as("", {"/usr/bin/pkill", "-KILL", "-f", "--", "--id " + id_of(vm)});
  ASSERT_TRUE(ps.ok()) << ps.describe();
  EXPECT_TRUE(client_->wait_state(*recorder_, vm, "failed", 15s)) << client_->vm_string(vm, "State");
  EXPECT_EQ(client_->vm_string(vm, "LastError"), "the VMM was killed by signal 9 (SIGKILL)");
  std::vector<std::string> left;
  for (const auto& entry : fs::directory_iterator(run_dir)) left.push_back(entry.path().filename());
  EXPECT_EQ(left, std::vector<std::string>{"console.log"}) << "the runtime directory is cleaned up but for the console";
  std::ifstream console(run_dir / "console.log");
  std::string text((std::istreambuf_iterator<char>(console)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("banger: guest ready"), std::string::npos) << "Firecracker's stdout is the console: " << text;
  client_->vm_call(vm, "Delete");
}

// VM.Pause / VM.Resume (issue 19): PATCH /vm with exactly the spec's bodies (the fake
// checks each against firecracker-api.yaml and answers a fault otherwise), and a
// graceful stop of a paused VM resumes it before SendCtrlAltDel.
TEST_F(FirecrackerBus, PauseAndResumePatchTheVmAsTheSpecSays) {
  const std::string vm = client_->create_ready(*recorder_, "fc-pause");
  client_->vm_call(vm, "Start");
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "running")) << client_->vm_string(vm, "LastError");
  const auto booted = requests(vm).size();
  client_->vm_call(vm, "Pause");
  EXPECT_EQ(client_->vm_string(vm, "State"), "paused");
  client_->vm_call(vm, "Resume");
  EXPECT_EQ(client_->vm_string(vm, "State"), "running");
  client_->vm_call(vm, "Pause");
  auto sent = requests(vm);
  ASSERT_EQ(sent.size(), booted + 3) << nlohmann::json(sent).dump(1);
  const std::vector<std::string> states{"Paused", "Resumed", "Paused"};
  for (size_t i = 0; i < states.size(); ++i) {
    const auto& r = sent[booted + i];
    EXPECT_EQ(r["method"], "PATCH") << r.dump();
    EXPECT_EQ(r["path"], "/vm") << r.dump();
    EXPECT_EQ(r["body"], nlohmann::json({{"state", states[i]}})) << r.dump();
  }
  // Read before the stop removes the runtime dir: the stop's own requests are checked
  // by the order of the state changes, the resume by the State the fake reports.
  client_->stop(vm);
  EXPECT_EQ(client_->vm_string(vm, "State"), "stopped");
  EXPECT_EQ(client_->vm_string(vm, "LastError"), "");
  client_->vm_call(vm, "Delete");
}

// Suspend and restore through the whole service (issue 19): a full snapshot into
// the state dir, the VMM gone, bangerd killed meanwhile, and Start loading the
// snapshot into a new VMM (PUT /snapshot/load, then PATCH /vm Resumed; no boot).
TEST_F(FirecrackerBus, ASuspendedVmSurvivesABangerdKillAndStartLoadsItsSnapshot) {
  const std::string vm = client_->create_ready(*recorder_, "fc-suspend");
  client_->vm_call(vm, "Start");
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "running")) << client_->vm_string(vm, "LastError");
  const pid_t first = recorded_vmm_pid(runtime_dir(vm));
  client_->vm_call(vm, "Suspend");
  EXPECT_EQ(client_->vm_string(vm, "State"), "suspended") << client_->vm_string(vm, "LastError");
  const auto saved = env().dir() / "state" / "saved-states" / id_of(vm);
  EXPECT_TRUE(fs::exists(saved / "manifest"));
  EXPECT_TRUE(fs::is_regular_file(saved / "vmm" / "firecracker.vmstate"));
  EXPECT_TRUE(fs::is_regular_file(saved / "vmm" / "firecracker.mem"));
  EXPECT_NE(::kill(first, 0), 0) << "the VMM ended";

  env().kill_daemon();
  env().start_daemon();
  auto again = std::make_unique<BusClient>(env().address());
  EXPECT_EQ(again->vm_string(vm, "State"), "suspended") << again->vm_string(vm, "LastError");
  again->vm_call(vm, "Start");
  EXPECT_EQ(again->vm_string(vm, "State"), "running") << again->vm_string(vm, "LastError");
  EXPECT_FALSE(fs::exists(saved)) << "the state goes once the guest runs on";
  std::vector<std::string> calls;
  nlohmann::json load;
  for (const auto& r : requests(vm)) {
    calls.push_back(r["method"].get<std::string>() + " " + r["path"].get<std::string>());
    if (r["path"] == "/snapshot/load") load = r["body"];
  }
  const auto at = [&](const std::string& call) { return std::find(calls.begin(), calls.end(), call) - calls.begin(); };
  ASSERT_LT(at("PUT /snapshot/load"), static_cast<long>(calls.size())) << nlohmann::json(calls).dump();
  EXPECT_LT(at("PUT /snapshot/load"), at("PATCH /vm")) << nlohmann::json(calls).dump();
  EXPECT_EQ(at("PUT /actions"), static_cast<long>(calls.size())) << "restored, not booted: " << nlohmann::json(calls).dump();
  EXPECT_EQ(at("PUT /boot-source"), static_cast<long>(calls.size())) << nlohmann::json(calls).dump();
  EXPECT_EQ(load["mem_backend"]["backend_type"], "File") << load.dump();
  EXPECT_EQ(load["resume_vm"], false) << load.dump();
  EXPECT_FALSE(load.contains("mem_file_path")) << "deprecated, and forbidden beside mem_backend: " << load.dump();
  again->vm_call(vm, "Kill");
  again->vm_call(vm, "Delete");
}

// bangerd killed while a Firecracker VM is paused: the new one adopts the VMM, asks it
// (GET /, InstanceInfo state "Paused") and keeps the VM paused; Resume then works.
TEST_F(FirecrackerBus, APausedVmIsAdoptedPausedAfterBangerdIsKilled) {
  const std::string vm = client_->create_ready(*recorder_, "fc-adopt-paused");
  client_->vm_call(vm, "Start");
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "running"));
  client_->vm_call(vm, "Pause");
  const auto before = requests(vm).size();
  env().kill_daemon();
  env().start_daemon();
  auto again = std::make_unique<BusClient>(env().address());
  EXPECT_EQ(again->vm_string(vm, "State"), "paused") << again->vm_string(vm, "LastError");
  auto sent = requests(vm);
  ASSERT_GT(sent.size(), before);
  EXPECT_EQ(sent[before]["method"], "GET");
  EXPECT_EQ(sent[before]["path"], "/");
  again->vm_call(vm, "Resume");
  EXPECT_EQ(again->vm_string(vm, "State"), "running");
  sent = requests(vm);
  EXPECT_EQ(sent.back()["body"], nlohmann::json({{"state", "Resumed"}})) << sent.back().dump();
  again->vm_call(vm, "Kill");
  again->vm_call(vm, "Delete");
}

TEST_F(FirecrackerBus, RunningVmIsAdoptedAfterBangerdIsKilled) {
  const std::string vm = client_->create_ready(*recorder_, "fc-adopt");
  client_->vm_call(vm, "Start");
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "running"));
  env().kill_daemon();
  env().start_daemon();
  auto again = std::make_unique<BusClient>(env().address());
  EXPECT_EQ(again->get_vm("fc-adopt"), vm);
  EXPECT_EQ(again->vm_string(vm, "State"), "running");
  again->vm_call(vm, "Kill");
  EXPECT_EQ(again->vm_string(vm, "State"), "stopped");
  again->vm_call(vm, "Delete");
}

TEST_F(FirecrackerBus, AdoptedVmmsCleanExitIsTheGuestShuttingDown) {
  const std::string vm = running_vm("fc-adopt-exit");
  env().kill_daemon();
  env().start_daemon();
  ASSERT_EQ(client_->vm_string(vm, "State"), "running");
  // The guest powers off by itself: Firecracker exits 0 and says so in its log.
  auto socket = vmm_dir(vm) / "firecracker.sock";
  auto curl = env().run_as("", {"/usr/bin/curl", "-sf", "--unix-socket", socket.string(), "-X", "PUT",
                                "-H", "Content-Type: application/json", "-d", R"({"action_type":"SendCtrlAltDel"})",
                                "http://localhost/actions"});
  ASSERT_TRUE(curl.ok()) << curl.describe();
  auto changed = recorder_->wait_for(
      [&](const Signal& s) { return s.path == vm && s.member == "StateChanged" && s.args.size() == 3 && s.args[1] == "stopped"; },
      5s);
  ASSERT_TRUE(changed) << recorder_->dump();
  // Not bangerd's child after the restart: the exit code comes from Firecracker's log.
  EXPECT_EQ(changed->args[2], "the guest shut down");
  EXPECT_EQ(client_->vm_string(vm, "LastError"), "");
  client_->vm_call(vm, "Delete");
}

// Issue 17, finding 3, without a jailer: bangerd starts the VMM as the VM's own
// uid with no capabilities and hands it descriptors; it reaches no path of
// bangerd's, and its writable disks are its uid's.
TEST_F(FirecrackerBus, AnUnjailedVmmRunsAsItsVmsOwnUidWithoutCapabilities) {
  if (geteuid() != 0) GTEST_SKIP() << "bangerd changes the VMM's uid only as root";
  const std::string vm = running_vm("fc-unprivileged");
  const pid_t pid = recorded_vmm_pid(runtime_dir(vm));
  expect_unprivileged_vmm(pid, /*with_seccomp=*/false);
  const uid_t uid = process_uid(pid);
  EXPECT_GE(uid, 900000u) << "a uid of the per-VM range ([firecracker] jailer_uid_base)";
  struct stat st {};
  ASSERT_EQ(stat((env().dir() / "state" / "vms" / id_of(vm) / "work.ext4").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, uid) << "its writable disk is its VMM's";
  ASSERT_EQ(stat(vmm_dir(vm).c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, uid);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_FALSE(requests(vm).empty()) << "configured over the API it bound inside its directory";
  // Through a bangerd restart, adoption knows it by its VM's id on its command line.
  env().kill_daemon();
  env().start_daemon();
  auto again = std::make_unique<BusClient>(env().address());
  EXPECT_EQ(again->vm_string(vm, "State"), "running");
  EXPECT_EQ(recorded_vmm_pid(runtime_dir(vm)), pid) << "the same VMM, adopted, not killed by the sweep";
  EXPECT_EQ(process_uid(pid), uid);
  again->stop(vm);
  EXPECT_FALSE(fs::exists(vmm_dir(vm))) << "stop removes the VMM's directory";
  again->vm_call(vm, "Delete");
}

TEST_F(FirecrackerBus, EachVmRunsOnItsOwnBackend) {
  const std::string fc = client_->create_ready(*recorder_, "fc-default");
  const std::string stand_in = client_->create_ready(*recorder_, "fc-test", {{"backend", sdbus::Variant("test")}});
  EXPECT_EQ(client_->vm_string(fc, "Backend"), "firecracker");
  EXPECT_EQ(client_->vm_string(stand_in, "Backend"), "test");
  client_->vm_call(fc, "Start");
  client_->vm_call(stand_in, "Start");
  ASSERT_TRUE(client_->wait_state(*recorder_, fc, "running"));
  ASSERT_TRUE(client_->wait_state(*recorder_, stand_in, "running"));
  EXPECT_FALSE(requests(fc).empty()) << "the firecracker VM was configured over the API";
  EXPECT_TRUE(requests(stand_in).empty()) << "the test VM never met the fake Firecracker";
  EXPECT_TRUE(fs::exists(env().dir() / "run" / "vms" / id_of(stand_in) / "machine.json"));
  // After a restart each is adopted by its own backend.
  env().kill_daemon();
  env().start_daemon();
  auto again = std::make_unique<BusClient>(env().address());
  EXPECT_EQ(again->vm_string(fc, "State"), "running");
  EXPECT_EQ(again->vm_string(stand_in, "State"), "running");
  for (const auto& vm : {fc, stand_in}) {
    again->vm_call(vm, "Kill");
    again->vm_call(vm, "Delete");
  }
}

TEST_F(FirecrackerBus, DoctorFailsWhenTheDefaultImageHasNoFirecrackerKernel) {
  auto fine = env().run_as("", {env().bangerctl(), "doctor"});
  EXPECT_TRUE(fine.ok()) << fine.describe();
  EXPECT_NE(fine.out.find("firecracker-vmm"), std::string::npos) << fine.out;

  auto connection = sdbus::createSessionBusConnectionWithAddress(env().address());
  auto manager = sdbus::createProxy(*connection, kService, kRoot);
  auto set_default = [&](const std::string& ref) {
    manager->callMethod("SetDefaultImage").onInterface(kManager).withArguments(ref);
  };
  set_default("qemu-only");
  auto failing = env().run_as("", {env().bangerctl(), "doctor"});
  EXPECT_EQ(failing.exit_code, 1) << failing.describe();
  EXPECT_NE(failing.out.find("CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES"), std::string::npos) << failing.out;
  EXPECT_NE(failing.err.find("1 check failed"), std::string::npos) << failing.err;
  set_default("fc-default");
}

}  // namespace
}  // namespace banger::test
