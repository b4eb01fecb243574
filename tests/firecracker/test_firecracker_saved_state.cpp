// The Firecracker backend's suspend to disk against fake-firecracker (issue 19):
// the exact snapshot requests (Full, Diff, load), what the fake refuses as
// Firecracker does, the errors of a state that cannot be loaded, and the
// format a saved state depends on. Where the files go (jailed, as the VM's
// uid) and what is done to them: test_firecracker_saved_state_placement.cpp.
#include "firecracker_saved_state_fixture.h"

namespace banger {
namespace {

using namespace fc_test;

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
  run_a_guest_from(backend, restoring);
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
  run_a_guest_from(backend, restoring);
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

}  // namespace
}  // namespace banger
