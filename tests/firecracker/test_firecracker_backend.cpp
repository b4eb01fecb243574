// The Firecracker backend against fake-firecracker: the lifecycle's exact API
// calls, faults, adoption and the jailer (suspend to disk: test_firecracker_saved_state.cpp).
#include "firecracker_backend_fixture.h"

namespace banger {
namespace {

using namespace fc_test;

TEST_F(FirecrackerBackendTest, FullLifecycleSendsTheSpecifiedRequests) {
  FirecrackerBackend backend(settings);
  handles = backend.launch(machine);
  EXPECT_EQ(backend.status(handles), VmmStatus::running);  // the VMM runs, its guest not yet
  backend.configure(handles, machine);
  EXPECT_TRUE(fs::exists(machine.runtime_dir / "firecracker.log"));
  backend.start(handles);
  EXPECT_EQ(backend.status(handles), VmmStatus::running);
  backend.pause(handles);
  EXPECT_EQ(backend.status(handles), VmmStatus::paused);
  backend.resume(handles);
  EXPECT_EQ(backend.status(handles), VmmStatus::running);

  auto before = std::chrono::steady_clock::now();
  backend.stop(handles, 10s);
  // Graceful: the guest shut down on SendCtrlAltDel, long before the timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - before, 5s);
  EXPECT_EQ(backend.status(handles), VmmStatus::exited);
  EXPECT_EQ(backend.exit_code(handles), 0) << "Firecracker logs its orderly exit";
  EXPECT_FALSE(fs::exists(socket()));
  // Firecracker's stdout is the guest's serial console.
  std::ifstream console(machine.runtime_dir / "console.log");
  std::string log_text((std::istreambuf_iterator<char>(console)), std::istreambuf_iterator<char>());
  EXPECT_NE(log_text.find("banger: guest ready"), std::string::npos) << log_text;
  EXPECT_NE(log_text.find("guest shut down"), std::string::npos) << log_text;

  std::vector<json> expected = {req("GET", "/")};  // the launch waits for the API to answer
  append(expected, boot_requests());
  append(expected, {req("GET", "/"),
                    req("PATCH", "/vm", {{"state", "Paused"}}),
                    req("GET", "/"),
                    req("PATCH", "/vm", {{"state", "Resumed"}}),
                    req("GET", "/"),
                    req("PUT", "/actions", {{"action_type", "SendCtrlAltDel"}})});
  expect_sequence(recorded(), expected);
  handles.clear();
}

TEST_F(FirecrackerBackendTest, KillEndsTheVmmAtOnce) {
  FirecrackerBackend backend(settings);
  handles = backend.launch(machine);
  backend.configure(handles, machine);
  backend.start(handles);
  ASSERT_TRUE(is_running(process()));
  EXPECT_EQ(backend.exit_code(handles), std::nullopt);
  backend.kill(handles);
  EXPECT_FALSE(is_running(process()));
  EXPECT_EQ(backend.status(handles), VmmStatus::exited);
  EXPECT_EQ(backend.exit_code(handles), std::nullopt) << "SIGKILL leaves no word in the log";
  EXPECT_FALSE(fs::exists(socket()));
}

TEST_F(FirecrackerBackendTest, ApiFaultSurfacesWithItsFaultMessage) {
  setenv("FAKE_FC_FAIL", "PUT /boot-source", 1);
  FirecrackerBackend backend(settings);
  handles = backend.launch(machine);
  try {
    backend.configure(handles, machine);
    FAIL() << "configure succeeded despite the injected fault";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::backend_failed);
    EXPECT_NE(std::string(e.what()).find("PUT /boot-source: 400: Injected failure (FAKE_FC_FAIL)"),
              std::string::npos)
        << e.what();
  }
  // Nothing after the failed call was sent.
  auto got = recorded();
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.back(), req("PUT", "/boot-source",
                                   {{"kernel_image_path", root.string() + "/vmlinux"},
                                    {"boot_args", "console=ttyS0 reboot=k"},
                                    {"initrd_path", root.string() + "/initrd.img"}}));
}

TEST_F(FirecrackerBackendTest, HungApiTimesOut) {
  setenv("FAKE_FC_HANG", "/actions", 1);
  settings.api_timeout = 300ms;
  FirecrackerBackend backend(settings);
  handles = backend.launch(machine);
  backend.configure(handles, machine);
  auto before = std::chrono::steady_clock::now();
  try {
    backend.start(handles);
    FAIL() << "start returned although the API never answered";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::backend_failed);
    EXPECT_NE(std::string(e.what()).find("PUT /actions: timed out"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - before, 2s);
}

TEST_F(FirecrackerBackendTest, AdoptRecognisesOnlyTheLaunchedVmm) {
  FirecrackerBackend backend(settings);
  handles = backend.launch(machine);
  EXPECT_TRUE(backend.adopt(handles));

  auto wrong_time = json::parse(handles);
  wrong_time["start_time"] = wrong_time["start_time"].get<std::uint64_t>() + 1;
  EXPECT_FALSE(backend.adopt(wrong_time.dump()));
  auto other_vm = json::parse(handles);
  other_vm["runtime_dir"] = (root / "other-vm").string();  // same pid, but not this VM's command line
  EXPECT_FALSE(backend.adopt(other_vm.dump()));

  backend.kill(handles);
  EXPECT_FALSE(backend.adopt(handles));
}

// [vmm] firecracker may be a script: the kernel then runs its interpreter,
// with the script and banger's arguments after it, so argv[0] is not the
// configured binary. Here the fake VMM is that interpreter, so the process
// that serves the API is the one recorded (a shell script that exec'd the VMM
// would hide the case, one that forked it would record another process).
TEST_F(FirecrackerBackendTest, AdoptRecognisesAVmmStartedThroughAScript) {
  const fs::path script = root / "firecracker-wrapper";
  std::ofstream(script) << "#!" << settings.binary.string() << "\n";
  fs::permissions(script, fs::perms::owner_all);
  settings.binary = script;
  FirecrackerBackend backend(settings);
  handles = backend.launch(machine);
  const auto argv = process_cmdline(process().pid);
  ASSERT_GE(argv.size(), 2u);
  ASSERT_NE(argv[0], script.string()) << "the interpreter runs in front of the script";
  ASSERT_EQ(argv[1], script.string());
  EXPECT_TRUE(backend.adopt(handles));

  // Another process with the recorded pid and start time (a reused pid): its
  // command line does not name this VM.
  const ProcessId other = spawn_detached({"/bin/sleep", "30"}, root / "sleep.log");
  auto impostor = json::parse(handles);
  impostor["pid"] = other.pid;
  impostor["start_time"] = other.start_time;
  EXPECT_FALSE(backend.adopt(impostor.dump()));
  terminate(other, 0ms);
  auto restarted = json::parse(handles);
  restarted["start_time"] = restarted["start_time"].get<std::uint64_t>() + 1;
  EXPECT_FALSE(backend.adopt(restarted.dump()));
}

TEST_F(FirecrackerBackendTest, FakeRejectsInstanceStartBeforeMachineConfig) {
  FirecrackerBackend backend(settings);
  handles = backend.launch(machine);
  FirecrackerApiClient api(socket(), settings.api_timeout);
  api.request("PUT", "/boot-source", json{{"kernel_image_path", "/vmlinux"}});
  try {
    api.request("PUT", "/actions", json{{"action_type", "InstanceStart"}});
    FAIL() << "the fake started without machine-config";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("PUT /actions: 400: Cannot start microvm without machine-config"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(json::parse(api.request("GET", "/").body)["state"], "Not started");
}

TEST_F(FirecrackerBackendTest, FakeEnforcesSchemasAndPreBootRules) {
  FirecrackerBackend backend(settings);
  handles = backend.launch(machine);
  FirecrackerApiClient api(socket(), settings.api_timeout);
  auto fault_of = [&](const char* method, const char* path, const json& body) -> std::string {
    try {
      api.request(method, path, body);
    } catch (const Error& e) {
      return e.what();
    }
    return "accepted";
  };
  EXPECT_NE(fault_of("PUT", "/machine-config", {{"vcpu_count", 0}, {"mem_size_mib", 128}}).find(": 400: "),
            std::string::npos);
  EXPECT_NE(fault_of("PUT", "/machine-config", {{"vcpu_count", "2"}, {"mem_size_mib", 128}}).find("must be"),
            std::string::npos);
  EXPECT_NE(fault_of("PUT", "/machine-config", {{"vcpu_count", 1}}).find("missing field `mem_size_mib`"),
            std::string::npos);
  EXPECT_NE(fault_of("PUT", "/actions", {{"action_type", "Reboot"}}).find("unknown variant"), std::string::npos);
  EXPECT_NE(fault_of("PATCH", "/vm", {{"state", "Paused"}}).find("before starting"), std::string::npos);
  EXPECT_NE(fault_of("PUT", "/no-such-thing", json::object()).find("Invalid request method and/or path"),
            std::string::npos);

  backend.configure(handles, machine);
  backend.start(handles);
  EXPECT_NE(fault_of("PUT", "/machine-config", {{"vcpu_count", 1}, {"mem_size_mib", 128}}).find("after starting"),
            std::string::npos);
  EXPECT_NE(fault_of("PUT", "/boot-source", {{"kernel_image_path", "/k"}}).find("after starting"),
            std::string::npos);
}

TEST_F(FirecrackerBackendTest, JailerRunsFirecrackerInItsPreparedChroot) {
  ASSERT_NE(std::getenv("FAKE_JAILER"), nullptr);
  if (geteuid() != 0) GTEST_SKIP() << "the chroot is handed to another uid: needs root";
  for (const char* file : {"vmlinux", "initrd.img", "rootfs.ext4", "work.ext4"}) std::ofstream(root / file) << file;
  settings.jailer = std::getenv("FAKE_JAILER");
  settings.jailer_uid = 123;
  settings.jailer_gid = 456;
  settings.chroot_base = root / "jail";
  settings.jailer_cgroups = {"cpu.max=50000 100000", "memory.max=1073741824"};
  // The fake jailer really drops to uid 123 but cannot chroot: its VMM reaches
  // the jail through the test's directory, which must let it pass.
  fs::permissions(root, fs::perms::owner_all | fs::perms::others_exec | fs::perms::group_exec);
  FirecrackerBackend backend(settings);
  handles = backend.launch(machine);
  const fs::path jail = root / "jail/fake-firecracker/vm-0001";
  const fs::path expected = jail / "root/run/firecracker.socket";
  EXPECT_EQ(json::parse(handles)["api_socket"], expected.string());
  EXPECT_EQ(json::parse(handles)["jail"], jail.string());
  std::ifstream cgroups(jail / "fake-jailer.cgroups");
  int count = 0;
  cgroups >> count;
  EXPECT_EQ(count, 2) << "each cgroup setting reaches the jailer";
  EXPECT_TRUE(backend.adopt(handles));  // the jailer exec'd firecracker: same pid, the VM's id as --id
  // The fake VMM refuses any path that is not inside the chroot.
  backend.configure(handles, machine);
  backend.start(handles);
  EXPECT_EQ(backend.status(handles), VmmStatus::running);
  std::ifstream recorded(expected.string() + ".requests.jsonl");
  std::string text((std::istreambuf_iterator<char>(recorded)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find(R"("kernel_image_path":"/kernel")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("path_on_host":"/drive-rootfs")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("log_path":"/firecracker.log")"), std::string::npos) << text;
  backend.kill(handles);
  EXPECT_FALSE(fs::exists(jail)) << "the whole jail goes with the VMM";
  EXPECT_TRUE(fs::exists(root / "rootfs.ext4")) << "never the files it was made from";
  handles.clear();
}

TEST_F(FirecrackerBackendTest, JailIsRemovedWhenTheVmmEndsOrNeverStarts) {
  if (geteuid() != 0) GTEST_SKIP() << "the chroot is handed to another uid: needs root";
  for (const char* file : {"vmlinux", "initrd.img", "rootfs.ext4", "work.ext4"}) std::ofstream(root / file) << file;
  settings.jailer = std::getenv("FAKE_JAILER");
  settings.chroot_base = root / "jail";
  const fs::path jail = root / "jail/fake-firecracker/vm-0001";

  // The VMM dies on its own: status() notices and cleans up, as does adopt().
  FirecrackerBackend backend(settings);
  handles = backend.launch(machine);
  ASSERT_TRUE(fs::exists(jail));
  ::kill(process().pid, SIGKILL);
  ASSERT_TRUE(wait_gone(process(), 5s));
  EXPECT_FALSE(backend.adopt(handles));
  EXPECT_FALSE(fs::exists(jail));
  handles = backend.launch(machine);
  ::kill(process().pid, SIGKILL);
  ASSERT_TRUE(wait_gone(process(), 5s));
  EXPECT_EQ(backend.status(handles), VmmStatus::exited);
  EXPECT_FALSE(fs::exists(jail));

  // Graceful stop.
  handles = backend.launch(machine);
  backend.configure(handles, machine);
  backend.start(handles);
  backend.stop(handles, 10s);
  EXPECT_FALSE(fs::exists(jail));

  // A jailer that refuses to run leaves no jail behind.
  handles.clear();
  settings.jailer = "/bin/false";
  EXPECT_THROW(FirecrackerBackend(settings).launch(machine), Error);
  EXPECT_FALSE(fs::exists(jail));
}


// --- Suspend to disk (issue 19): PUT /snapshot/create and /snapshot/load ---

}  // namespace
}  // namespace banger
