#pragma once
// The fixture of the Firecracker backend's suspend-to-disk tests
// (test_firecracker_saved_state.cpp, test_firecracker_saved_state_placement.cpp):
// the backend's fixture with drives a load can reopen, a directory for the saved
// state, and the snapshot requests' bodies as the backend must send them.
#include "firecracker_backend_fixture.h"

namespace banger::fc_test {

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

  // The body of the first request to `path` in `got`; null when there is none.
  static json body_of(const std::vector<json>& got, const std::string& path) {
    for (const auto& r : got)
      if (r.value("path", "") == path) return r.value("body", json());
    return json();
  }

  fs::path saved;
};

}  // namespace banger::fc_test
