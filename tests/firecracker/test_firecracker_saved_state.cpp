// The Firecracker backend's suspend to disk against fake-firecracker (issue 19):
// the exact snapshot requests (Full, Diff, load), what the fake refuses as
// Firecracker does, placement jailed and as the VM's uid, and the saved files.
#include "firecracker_backend_fixture.h"

namespace banger {
namespace {

using namespace fc_test;

class FirecrackerSavedStateTest : public FirecrackerBackendTest {
 protected:
  void SetUp() override {
    FirecrackerBackendTest::SetUp();
    // A load reopens the drives at the paths the state recorded: they must exist.
    for (const char* file : {"vmlinux", "initrd.img", "rootfs.ext4", "work.ext4"}) std::ofstream(root / file) << file;
    saved = root / "saved";
    fs::create_directory(saved);
    fs::permissions(saved, fs::perms::owner_all);
  }

  // A fresh directory for save_state, as the caller gives it (root's, 0700, empty).
  fs::path fresh_dir(const std::string& name) {
    const fs::path dir = root / name;
    fs::create_directory(dir);
    fs::permissions(dir, fs::perms::owner_all);
    return dir;
  }

  void run_a_guest(FirecrackerBackend& backend) {
    handles = backend.launch(machine);
    backend.configure(handles, machine);
    backend.start(handles);
  }

  void run_a_guest_from(FirecrackerBackend& backend, const MachineConfig& restoring) {
    handles = backend.launch(restoring);
    backend.configure(handles, restoring);
    backend.start(handles);
  }

  std::string configure_error(FirecrackerBackend& backend, const MachineConfig& restoring) {
    handles = backend.launch(restoring);
    try {
      backend.configure(handles, restoring);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::backend_failed);
      backend.kill(handles);
      handles.clear();
      return e.what();
    }
    return "loaded";
  }

  static std::uint64_t size_of(const fs::path& file) { return fs::file_size(file); }
  static struct stat stat_of(const fs::path& file) {
    struct stat st {};
    EXPECT_EQ(::lstat(file.c_str(), &st), 0) << file;
    return st;
  }

  static json create_body(const char* type, const std::string& state, const std::string& memory) {
    return {{"snapshot_type", type}, {"snapshot_path", state}, {"mem_file_path", memory}};
  }
  static json load_body(const std::string& state, const std::string& memory, const std::string& tap) {
    return {{"snapshot_path", state},
            {"mem_backend", {{"backend_type", "File"}, {"backend_path", memory}}},
            {"resume_vm", false},
            {"network_overrides", json::array({{{"iface_id", "eth0"}, {"host_dev_name", tap}}})}};
  }

  fs::path saved;
};

TEST_F(FirecrackerSavedStateTest, SuspendAndRestoreSendTheSpecifiedRequests) {
  FirecrackerBackend backend(settings);
  run_a_guest(backend);
  backend.pause(handles);
  const std::uint64_t bytes = backend.save_state(handles, saved);
  EXPECT_EQ(backend.status(handles), VmmStatus::paused) << "the VMM stays, paused: the caller ends it";
  backend.kill(handles);

  // Two files, root's alone; the memory at its full size, its zero pages holes.
  const fs::path state = saved_state_file(saved), memory = saved_memory_file(saved);
  ASSERT_TRUE(fs::is_regular_file(state));
  ASSERT_TRUE(fs::is_regular_file(memory));
  EXPECT_EQ(stat_of(memory).st_uid, geteuid());
  EXPECT_EQ(stat_of(memory).st_mode & 07777, 0600u);
  EXPECT_EQ(size_of(memory), 256u << 20);
  EXPECT_EQ(bytes, allocated_bytes(state) + allocated_bytes(memory));
  EXPECT_GT(bytes, 0u);
  EXPECT_LT(bytes, (256u << 20) / 2) << "zero pages are not stored";

  MachineConfig restoring = machine;
  restoring.restore_from = saved;
  handles = backend.launch(restoring);
  backend.configure(handles, restoring);
  EXPECT_EQ(backend.status(handles), VmmStatus::paused) << "loaded, not yet running";
  backend.start(handles);
  EXPECT_EQ(backend.status(handles), VmmStatus::running);

  auto expected = boot_requests();
  append(expected, {req("PATCH", "/vm", {{"state", "Paused"}}),
                    req("PUT", "/snapshot/create", create_body("Full", state.string(), memory.string())),
                    req("GET", "/")});
  append(expected, logger_and_metrics());  // the second VMM, then the load on it fresh
  append(expected, {req("PUT", "/snapshot/load", load_body(state.string(), memory.string(), "tap-banger0")),
                    req("GET", "/"),
                    req("PATCH", "/vm", {{"state", "Resumed"}}),
                    req("GET", "/")});
  expect_sequence(recorded(), expected);
}

// Suspended, started, suspended again: the second state is the restored
// guest's, written while the VMM maps the first one's memory, and loads too.
TEST_F(FirecrackerSavedStateTest, ARestoredVmSuspendsAgain) {
  FirecrackerBackend backend(settings);
  run_a_guest(backend);
  backend.pause(handles);
  backend.save_state(handles, saved);
  backend.kill(handles);
  MachineConfig restoring = machine;
  restoring.restore_from = saved;
  run_a_guest_from(backend, restoring);
  backend.pause(handles);
  const fs::path again = fresh_dir("again");
  backend.save_state(handles, again);
  backend.kill(handles);
  EXPECT_GT(size_of(saved_state_file(again)), 0u);
  restoring.restore_from = again;
  run_a_guest_from(backend, restoring);
  EXPECT_EQ(backend.status(handles), VmmStatus::running);
  auto got = recorded();
  ASSERT_GE(got.size(), 3u);
  EXPECT_EQ(got[got.size() - 3],
            req("PUT", "/snapshot/load",
                load_body(saved_state_file(again).string(), saved_memory_file(again).string(), "tap-banger0")));
}

TEST_F(FirecrackerSavedStateTest, ARestoreNamesTheTapItIsGivenNow) {
  FirecrackerBackend backend(settings);
  run_a_guest(backend);
  backend.pause(handles);
  backend.save_state(handles, saved);
  backend.kill(handles);
  MachineConfig restoring = machine;
  restoring.restore_from = saved;
  restoring.interfaces[0].tap = "tap-banger7";
  handles = backend.launch(restoring);
  backend.configure(handles, restoring);
  backend.start(handles);
  auto got = recorded();
  ASSERT_GE(got.size(), 2u);
  EXPECT_EQ(got[got.size() - 2]["body"]["network_overrides"],
            json::array({{{"iface_id", "eth0"}, {"host_dev_name", "tap-banger7"}}}));
}

TEST_F(FirecrackerSavedStateTest, FullAndDiffSnapshotsLaidOverEachOtherLoad) {
  FirecrackerBackend backend(settings, nullptr, DirtyPageTracking::on);
  run_a_guest(backend);
  backend.pause(handles);
  const fs::path full = fresh_dir("full"), diff = fresh_dir("diff");
  backend.save_state(handles, full, SnapshotType::full);
  backend.resume(handles);  // the guest writes some pages
  backend.pause(handles);
  const std::uint64_t diff_bytes = backend.save_state(handles, diff, SnapshotType::diff);
  backend.kill(handles);
  EXPECT_EQ(size_of(saved_memory_file(diff)), 256u << 20);
  EXPECT_LT(allocated_bytes(saved_memory_file(diff)), allocated_bytes(saved_memory_file(full)))
      << "a Diff holds only the pages written since the Full one";
  EXPECT_GT(diff_bytes, 0u);

  // A Diff's memory alone is not the guest's memory: the load refuses it.
  MachineConfig restoring = machine;
  restoring.restore_from = diff;
  const std::string refused = configure_error(backend, restoring);
  EXPECT_NE(refused.find("firecracker could not load the saved state: PUT /snapshot/load: 400: "), std::string::npos)
      << refused;
  EXPECT_NE(refused.find("is not the memory of this snapshot"), std::string::npos) << refused;

  // Laid over the Full one's memory, with the Diff's state, it is.
  apply_diff_memory(saved_memory_file(diff), saved_memory_file(full));
  fs::copy_file(saved_state_file(diff), saved_state_file(full), fs::copy_options::overwrite_existing);
  restoring.restore_from = full;
  handles = backend.launch(restoring);
  backend.configure(handles, restoring);
  backend.start(handles);
  EXPECT_EQ(backend.status(handles), VmmStatus::running);

  auto expected =
      boot_requests({{"vcpu_count", 2}, {"mem_size_mib", 256}, {"smt", false}, {"track_dirty_pages", true}});
  json load_diff = load_body(saved_state_file(diff).string(), saved_memory_file(diff).string(), "tap-banger0");
  json load_full = load_body(saved_state_file(full).string(), saved_memory_file(full).string(), "tap-banger0");
  load_diff["track_dirty_pages"] = load_full["track_dirty_pages"] = true;  // so that it can take Diffs again
  append(expected, {req("PATCH", "/vm", {{"state", "Paused"}}),
                    req("PUT", "/snapshot/create",
                        create_body("Full", saved_state_file(full).string(), saved_memory_file(full).string())),
                    req("PATCH", "/vm", {{"state", "Resumed"}}),
                    req("PATCH", "/vm", {{"state", "Paused"}}),
                    req("PUT", "/snapshot/create",
                        create_body("Diff", saved_state_file(diff).string(), saved_memory_file(diff).string()))});
  append(expected, logger_and_metrics());
  expected.push_back(req("PUT", "/snapshot/load", load_diff));
  append(expected, logger_and_metrics());
  append(expected, {req("PUT", "/snapshot/load", load_full), req("PATCH", "/vm", {{"state", "Resumed"}}),
                    req("GET", "/")});
  expect_sequence(recorded(), expected);
}

TEST_F(FirecrackerSavedStateTest, DiffNeedsDirtyPageTracking) {
  FirecrackerBackend backend(settings);
  run_a_guest(backend);
  backend.pause(handles);
  try {
    backend.save_state(handles, saved, SnapshotType::diff);
    FAIL() << "a Diff without dirty page tracking was taken";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::backend_failed);
    EXPECT_NE(std::string(e.what()).find("firecracker could not save the state: PUT /snapshot/create: 400: Diff "
                                         "snapshots are not allowed"),
              std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(fs::is_empty(saved)) << "a failed save leaves nothing";
}

TEST_F(FirecrackerSavedStateTest, TheFakeRefusesWhatFirecrackerRefuses) {
  FirecrackerBackend backend(settings);
  handles = backend.launch(machine);
  FirecrackerApiClient api(socket(), settings.api_timeout);
  auto fault_of = [&](const char* path, const json& body) -> std::string {
    try {
      api.request("PUT", path, body);
    } catch (const Error& e) {
      return e.what();
    }
    return "accepted";
  };
  const std::string state = (saved / "s").string(), memory = (saved / "m").string();
  // The load's body: exactly one of mem_file_path and mem_backend, each as the spec has it.
  EXPECT_NE(fault_of("/snapshot/load", {{"snapshot_path", state}}).find("exactly one of"), std::string::npos);
  EXPECT_NE(fault_of("/snapshot/load", {{"snapshot_path", state}, {"mem_file_path", memory},
                                        {"mem_backend", {{"backend_type", "File"}, {"backend_path", memory}}}})
                .find("exactly one of"),
            std::string::npos);
  EXPECT_NE(fault_of("/snapshot/load", {{"snapshot_path", state}, {"mem_backend", {{"backend_type", "File"}}}})
                .find("missing field `backend_path`"),
            std::string::npos);
  EXPECT_NE(fault_of("/snapshot/load", {{"snapshot_path", state},
                                        {"mem_backend", {{"backend_type", "Disk"}, {"backend_path", memory}}}})
                .find("unknown variant"),
            std::string::npos);
  EXPECT_NE(fault_of("/snapshot/load", {{"snapshot_path", state}, {"mem_file_path", memory},
                                        {"network_overrides", json::array({{{"iface_id", "eth0"}}})}})
                .find("missing field `host_dev_name`"),
            std::string::npos);
  EXPECT_NE(fault_of("/snapshot/load", {{"snapshot_path", state}, {"mem_file_path", memory}, {"resume", true}})
                .find("unknown field `resume`"),
            std::string::npos);
  // Create: before the start, and on a running VM, refused.
  EXPECT_NE(fault_of("/snapshot/create", {{"snapshot_path", state}, {"mem_file_path", memory}}).find("before starting"),
            std::string::npos);
  EXPECT_NE(fault_of("/snapshot/create", {{"snapshot_path", state}}).find("missing field `mem_file_path`"),
            std::string::npos);
  backend.configure(handles, machine);
  // Load: not once anything but Logger and Metrics is configured.
  EXPECT_NE(fault_of("/snapshot/load", {{"snapshot_path", state}, {"mem_file_path", memory}})
                .find("not allowed after configuring"),
            std::string::npos);
  backend.start(handles);
  EXPECT_NE(fault_of("/snapshot/create", {{"snapshot_path", state}, {"mem_file_path", memory}}).find("not paused"),
            std::string::npos);
  EXPECT_NE(fault_of("/snapshot/create", {{"snapshot_path", state}, {"mem_file_path", memory},
                                          {"snapshot_type", "Incremental"}})
                .find("unknown variant"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(state));
}

TEST_F(FirecrackerSavedStateTest, AStateThatCannotBeLoadedFailsConfigureClearly) {
  FirecrackerBackend backend(settings);
  run_a_guest(backend);
  backend.pause(handles);
  backend.save_state(handles, saved);
  backend.kill(handles);
  MachineConfig restoring = machine;
  restoring.restore_from = saved;

  // Corrupt: the VMM's own words reach the caller, under one clear heading.
  std::ofstream(saved_state_file(saved), std::ios::trunc) << "not a snapshot at all";
  std::string error = configure_error(backend, restoring);
  EXPECT_NE(error.find("firecracker could not load the saved state: PUT /snapshot/load: 400: Cannot load the microVM "
                       "state: " + saved_state_file(saved).string() + ": not a snapshot"),
            std::string::npos)
      << error;

  // The right heading, the wrong body: still refused by the VMM, not a crash.
  std::ofstream(saved_state_file(saved), std::ios::trunc)
      << "FAKE-FIRECRACKER-STATE 1\n" << json{{"machine_config", json::object()}, {"memory_digest", 1},
                                              {"vmm_version", "1.17.0-fake"}}.dump() << "\n";
  error = configure_error(backend, restoring);
  EXPECT_NE(error.find("firecracker could not load the saved state: PUT /snapshot/load: 400: Cannot load the "
                       "microVM state: corrupt"),
            std::string::npos)
      << error;

  // Gone.
  fs::remove(saved_state_file(saved));
  error = configure_error(backend, restoring);
  EXPECT_NE(error.find("firecracker could not load the saved state: " + saved_state_file(saved).string() +
                       " is missing or not a file"),
            std::string::npos)
      << error;
}

TEST_F(FirecrackerSavedStateTest, ARestoreNeedsTheDrivesWhereTheStateHadThem) {
  FirecrackerBackend backend(settings);
  run_a_guest(backend);
  backend.pause(handles);
  backend.save_state(handles, saved);
  backend.kill(handles);
  fs::rename(root / "work.ext4", root / "moved.ext4");
  MachineConfig restoring = machine;
  restoring.restore_from = saved;
  const std::string error = configure_error(backend, restoring);
  EXPECT_NE(error.find("could not load the saved state"), std::string::npos) << error;
  EXPECT_NE(error.find(root.string() + "/work.ext4"), std::string::npos) << error;
}

TEST_F(FirecrackerSavedStateTest, FormatNamesTheVersionAndWhatTheStateDependsOn) {
  FirecrackerBackend backend(settings);
  const std::string format = backend.saved_state_format(machine);
  EXPECT_NE(format, "");
  EXPECT_EQ(format.find('\n'), std::string::npos) << "one line";
  EXPECT_EQ(format.rfind("Firecracker v1.17.0-fake; cpu ", 0), 0u) << format;
  EXPECT_NE(format.find("2 vcpus, 256 MiB; unjailed as root; drives rootfs=" + root.string() +
                        "/rootfs.ext4:rw:root work=" + root.string() + "/work.ext4:ro; nics eth0=06:00:AC:10:00:02"),
            std::string::npos)
      << format;
  EXPECT_EQ(backend.saved_state_format(machine), format) << "asked once, the same answer";

  MachineConfig bigger = machine;
  bigger.memory_mib = 512;
  EXPECT_NE(backend.saved_state_format(bigger), format);
  MachineConfig tap_changed = machine;
  tap_changed.interfaces[0].tap = "tap-banger9";
  EXPECT_EQ(backend.saved_state_format(tap_changed), format) << "a load overrides the tap";

  FirecrackerSettings jailed = settings;
  jailed.jailer = "/usr/bin/jailer";
  EXPECT_NE(FirecrackerBackend(jailed).saved_state_format(machine).find(
                "jailed; drives rootfs=/drive-rootfs:rw:root work=/drive-work:ro"),
            std::string::npos);

  FirecrackerSettings missing = settings;
  missing.binary = root / "no-firecracker";
  EXPECT_EQ(FirecrackerBackend(missing).saved_state_format(machine), "") << "no binary: no suspend";
  const fs::path mute = root / "mute-firecracker";
  std::ofstream(mute) << "#!/bin/sh\nexit 3\n";
  fs::permissions(mute, fs::perms::owner_all);
  missing.binary = mute;
  EXPECT_THROW(FirecrackerBackend(missing).saved_state_format(machine), Error);
}

TEST_F(FirecrackerSavedStateTest, JailedTheVmmSavesAndLoadsInsideItsChroot) {
  if (geteuid() != 0) GTEST_SKIP() << "the chroot is handed to another uid: needs root";
  settings.jailer = std::getenv("FAKE_JAILER");
  settings.jailer_uid = 123;
  settings.jailer_gid = 456;
  settings.chroot_base = root / "jail";
  fs::permissions(root, fs::perms::owner_all | fs::perms::others_exec | fs::perms::group_exec);
  // The jail goes with each VMM, and its record with it: this one outlives them.
  const fs::path record = root / "requests.jsonl";
  std::ofstream(record).flush();
  fs::permissions(record, fs::perms::all);
  setenv("FAKE_FC_RECORD", record.c_str(), 1);
  const fs::path jail_root = root / "jail/fake-firecracker/vm-0001/root";

  FirecrackerBackend backend(settings);
  run_a_guest(backend);
  backend.pause(handles);
  const std::uint64_t bytes = backend.save_state(handles, saved);
  EXPECT_FALSE(fs::exists(jail_root / "snapshot")) << "nothing left in the VMM's reach";
  backend.kill(handles);
  EXPECT_LT(bytes, (256u << 20) / 2) << "zero pages are not stored";
  for (const auto& file : {saved_state_file(saved), saved_memory_file(saved)}) {
    EXPECT_EQ(stat_of(file).st_uid, 0u) << file;
    EXPECT_EQ(stat_of(file).st_mode & 07777, 0600u) << file;
  }

  MachineConfig restoring = machine;
  restoring.restore_from = saved;
  handles = backend.launch(restoring);
  backend.configure(handles, restoring);
  backend.start(handles);
  EXPECT_EQ(backend.status(handles), VmmStatus::running);
  // Linked, not copied, into the VMM's own directory; the saved files readable by its group only.
  EXPECT_EQ(stat_of(jail_root / "snapshot").st_uid, 123u);
  EXPECT_EQ(stat_of(jail_root / "snapshot").st_mode & 07777, 0700u);
  EXPECT_EQ(stat_of(jail_root / "snapshot/firecracker.mem").st_ino, stat_of(saved_memory_file(saved)).st_ino);
  EXPECT_EQ(stat_of(saved_memory_file(saved)).st_mode & 07777, 0640u);
  EXPECT_EQ(stat_of(saved_memory_file(saved)).st_gid, 456u);

  auto got = recorded(record);
  auto find = [&](const std::string& path) {
    for (const auto& r : got)
      if (r["path"] == path) return r["body"];
    return json();
  };
  EXPECT_EQ(find("/snapshot/create"),
            create_body("Full", "/snapshot/firecracker.vmstate", "/snapshot/firecracker.mem"));
  EXPECT_EQ(find("/snapshot/load"),
            load_body("/snapshot/firecracker.vmstate", "/snapshot/firecracker.mem", "tap-banger0"));
  EXPECT_EQ(got.back(), req("GET", "/"));
  EXPECT_EQ(got[got.size() - 2], req("PATCH", "/vm", {{"state", "Resumed"}}));
  backend.kill(handles);
  handles.clear();
  EXPECT_TRUE(fs::exists(saved_memory_file(saved))) << "the jail's link goes, the saved file stays";
}

TEST_F(FirecrackerSavedStateTest, AsTheVmsUidTheVmmGetsTheSavedFilesAfterItsDrives) {
  if (geteuid() != 0) GTEST_SKIP() << "runs the VMM as another uid: needs root";
  auto ids = std::make_shared<JailerIds>(root / "uids", 900100, 4);
  const fs::path record = root / "requests.jsonl";
  std::ofstream(record).flush();
  fs::permissions(record, fs::perms::all);
  fs::permissions(root, fs::perms::owner_all | fs::perms::others_exec | fs::perms::group_exec);
  setenv("FAKE_FC_RECORD", record.c_str(), 1);

  FirecrackerBackend backend(settings, ids);
  EXPECT_NE(backend.saved_state_format(machine).find(
                "unjailed as the VM's uid; drives rootfs=/proc/self/fd/6:rw:root work=/proc/self/fd/7:ro"),
            std::string::npos)
      << backend.saved_state_format(machine);
  run_a_guest(backend);
  backend.pause(handles);
  const std::uint64_t bytes = backend.save_state(handles, saved);
  EXPECT_LT(bytes, (256u << 20) / 2) << "zero pages are not stored";
  EXPECT_FALSE(fs::exists(machine.runtime_dir / "vmm/snapshot")) << "nothing left in the VMM's reach";
  backend.kill(handles);

  MachineConfig restoring = machine;
  restoring.restore_from = saved;
  handles = backend.launch(restoring);
  backend.configure(handles, restoring);
  backend.start(handles);
  EXPECT_EQ(backend.status(handles), VmmStatus::running);

  auto got = recorded(record);
  auto find = [&](const std::string& path) {
    for (const auto& r : got)
      if (r["path"] == path) return r["body"];
    return json();
  };
  EXPECT_EQ(find("/snapshot/create"), create_body("Full", "/proc/self/fd/3/snapshot/firecracker.vmstate",
                                                  "/proc/self/fd/3/snapshot/firecracker.mem"));
  // 3 its directory, 4 the kernel, 5 the initrd, 6 and 7 the drives, then the saved files.
  EXPECT_EQ(find("/snapshot/load"), load_body("/proc/self/fd/8", "/proc/self/fd/9", "tap-banger0"));
  EXPECT_EQ(got[got.size() - 2], req("PATCH", "/vm", {{"state", "Resumed"}}));
}

// --- The saved state's files ---

class SavedStateFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/banger-fc-state-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    root = dir;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(root, ignored);
  }
  // A file of `pages` 4 KiB pages, written in full; the pages in `data` hold their index.
  fs::path memory(const std::string& name, int pages, std::initializer_list<int> data) {
    const fs::path file = root / name;
    std::ofstream out(file, std::ios::binary);
    std::string page(4096, '\0');
    for (int i = 0; i < pages; ++i) {
      bool filled = std::find(data.begin(), data.end(), i) != data.end();
      std::fill(page.begin(), page.end(), filled ? static_cast<char>('A' + i % 26) : '\0');
      out << page;
    }
    return file;
  }
  static std::string text_of(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  fs::path root;
};

TEST_F(SavedStateFiles, ZeroPagesBecomeHolesAndNothingElseChanges) {
  const fs::path full = memory("full", 512, {0, 3, 300, 511});
  const std::string before = text_of(full);
  {
    UniqueFd in(::open(full.c_str(), O_RDONLY));
    UniqueFd out(::open((root / "copy").c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600));
    copy_skipping_zero_pages(in.get(), out.get(), "full");
  }
  EXPECT_EQ(text_of(root / "copy"), before);
  EXPECT_LE(allocated_bytes(root / "copy"), 4u * 4096 + 64 * 1024) << "four pages of data, not 512";

  UniqueFd fd(::open(full.c_str(), O_RDWR));
  if (!punch_zero_pages(fd.get(), "full")) GTEST_SKIP() << "this file system punches no holes";
  EXPECT_EQ(text_of(full), before);
  EXPECT_LE(allocated_bytes(full), 4u * 4096 + 64 * 1024);
}

TEST_F(SavedStateFiles, ADiffLaidOverItsBaseKeepsItsClearedPages) {
  const fs::path base = memory("base", 64, {1, 2, 3});
  // The Diff: page 2 rewritten, page 3 cleared by the guest (zero, but data), page 9 new.
  const fs::path diff = root / "diff";
  {
    UniqueFd fd(::open(diff.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600));
    ASSERT_EQ(ftruncate(fd.get(), 64 * 4096), 0);
    std::string page(4096, 'z'), zero(4096, '\0');
    ASSERT_EQ(pwrite(fd.get(), page.data(), 4096, 2 * 4096), 4096);
    ASSERT_EQ(pwrite(fd.get(), zero.data(), 4096, 3 * 4096), 4096);
    ASSERT_EQ(pwrite(fd.get(), page.data(), 4096, 9 * 4096), 4096);
  }
  apply_diff_memory(diff, base);
  const std::string merged = text_of(base);
  ASSERT_EQ(merged.size(), 64u * 4096);
  EXPECT_EQ(merged.substr(1 * 4096, 4096), std::string(4096, 'B')) << "untouched: the base's";
  EXPECT_EQ(merged.substr(2 * 4096, 4096), std::string(4096, 'z'));
  EXPECT_EQ(merged.substr(3 * 4096, 4096), std::string(4096, '\0')) << "cleared by the guest";
  EXPECT_EQ(merged.substr(9 * 4096, 4096), std::string(4096, 'z'));

  const fs::path other = memory("other", 32, {});
  EXPECT_THROW(apply_diff_memory(diff, other), Error) << "not the same guest's memory";
}

TEST_F(SavedStateFiles, OnlyAFileTheVmmWroteIsTakenFromIt) {
  const fs::path mine = root / "mine";
  std::ofstream(mine) << "state";
  const JailOwner me{geteuid(), getegid()};
  EXPECT_TRUE(open_written_by(mine, me).valid());
  fs::create_symlink(mine, root / "link");
  EXPECT_THROW(open_written_by(root / "link", me), Error);
  fs::create_hard_link(mine, root / "hard");
  EXPECT_THROW(open_written_by(root / "hard", me), Error) << "a hard link may be to anything";
  fs::remove(root / "hard");
  ASSERT_EQ(mkfifo((root / "fifo").c_str(), 0600), 0);
  EXPECT_THROW(open_written_by(root / "fifo", me), Error) << "and never hangs on a FIFO";
  EXPECT_THROW(open_written_by(mine, JailOwner{me.uid + 1, me.gid}), Error) << "another uid's";
}

}  // namespace
}  // namespace banger
