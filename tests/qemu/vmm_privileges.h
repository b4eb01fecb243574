#pragma once
// Issue 17, finding 3: a VMM is the guest's device model, so an escape from
// it must land in an unprivileged process: a uid and gid other than root's,
// no capability in any set, no way to regain one (no_new_privs), a seccomp
// filter (QEMU's -sandbox). Read from /proc/<pid>/status, as `ps -o uid,cap…` would.
#include <sys/types.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace banger::test {

// The fields of /proc/<pid>/status, by name; empty when the process is gone.
inline std::map<std::string, std::string> process_status(pid_t pid) {
  std::map<std::string, std::string> fields;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const auto value = line.find_first_not_of(" \t", colon + 1);
    fields[line.substr(0, colon)] = value == std::string::npos ? "" : line.substr(value);
  }
  return fields;
}

// The VMM's pid recorded in a VM's runtime dir (handles.json); 0 when there is none.
inline pid_t recorded_vmm_pid(const std::filesystem::path& runtime_dir) {
  std::ifstream in(runtime_dir / "handles.json");
  const auto recorded = nlohmann::json::parse(in, nullptr, false);
  if (!recorded.is_object() || !recorded.contains("handles")) return 0;
  return recorded["handles"].value("pid", 0);
}

// Real, effective, saved and file-system ids ("Uid:" and "Gid:" lines) none
// of them root; CapEff, CapPrm and CapAmb empty. `with_seccomp`: QEMU's
// -sandbox; Firecracker installs its filters itself (its fake does not).
inline void expect_unprivileged_vmm(pid_t pid, bool with_seccomp = true) {
  ASSERT_GT(pid, 0) << "no VMM pid recorded";
  const auto status = process_status(pid);
  ASSERT_FALSE(status.empty()) << "no process " << pid;
  for (const char* ids : {"Uid", "Gid"}) {
    std::istringstream in(status.at(ids));
    int n = 0;
    for (unsigned long id; in >> id; ++n) EXPECT_NE(id, 0u) << ids << ": " << status.at(ids);
    EXPECT_EQ(n, 4) << ids << ": " << status.at(ids);
  }
  for (const char* caps : {"CapEff", "CapPrm", "CapAmb"})
    EXPECT_EQ(std::stoull(status.at(caps), nullptr, 16), 0u) << caps << ": " << status.at(caps);
  EXPECT_EQ(status.at("NoNewPrivs"), "1") << "a setuid binary or file capability would give privileges back";
  if (with_seccomp) {
    EXPECT_EQ(status.at("Seccomp"), "2") << "no seccomp filter (-sandbox on)";
  }
}

inline uid_t process_uid(pid_t pid) {
  std::istringstream in(process_status(pid)["Uid"]);
  uid_t uid = 0;
  in >> uid;
  return uid;
}

}  // namespace banger::test
