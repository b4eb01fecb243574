// Manager.Doctor and bangerctl doctor on bangerd-test. The same file runs
// twice (meson): with the stand-in backend, where no check fails and bangerctl
// exits 0, and with BANGER_DOCTOR_EXPECT_FAIL set, against a config whose
// default backend's binary is missing, where bangerctl exits 1.
#include <cstdlib>
#include <map>
#include <string>

#include "test_support.h"

namespace banger::test {
namespace {

class Doctor : public ClientTest {
 protected:
  static bool expect_fail() { return std::getenv("BANGER_DOCTOR_EXPECT_FAIL") != nullptr; }
  RunResult doctor(const std::vector<std::string>& args = {}) {
    std::vector<std::string> argv{env().bangerctl(), "doctor"};
    argv.insert(argv.end(), args.begin(), args.end());
    return env().run_as("", argv, 30s);
  }
};

TEST_F(Doctor, ListsTheHostChecks) {
  const auto r = doctor({"--json"});
  EXPECT_EQ(r.exit_code, expect_fail() ? 1 : 0) << r.describe();
  const auto checks = json_of(r);
  ASSERT_TRUE(checks.is_array()) << r.out;
  std::map<std::string, std::string> status;
  for (const auto& c : checks) {
    status[c.value("check", "")] = c.value("status", "");
    EXPECT_TRUE(c.contains("summary") && c.contains("detail") && c.contains("fix")) << c;
  }
  for (const char* name : {"kvm", "firecracker-version", "jailer-version", "qemu-version", "bridge", "nftables",
                           "disk-space", "polkit", "group"})
    EXPECT_TRUE(status.count(name)) << name << " missing in " << r.out;
  EXPECT_EQ(status["polkit"], "ok") << "polkitd runs on the test bus";
  EXPECT_EQ(status["group"], "ok") << "the environment makes group banger";
  EXPECT_EQ(status["jailer-version"], "ok") << "no jailer configured";
  if (expect_fail()) {
    EXPECT_EQ(status["qemu-vmm"], "fail") << r.out;
    EXPECT_EQ(status["qemu-version"], "fail") << r.out;
  } else {
    for (const auto& [name, s] : status) EXPECT_NE(s, "fail") << name << " failed:\n" << r.out;
  }
}

TEST_F(Doctor, TableWithFixesUnderProblems) {
  const auto r = doctor();
  EXPECT_EQ(r.exit_code, expect_fail() ? 1 : 0) << r.describe();
  EXPECT_EQ(r.out.rfind("CHECK", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("STATUS"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\npolkit "), std::string::npos) << r.out;
  if (expect_fail()) {
    EXPECT_NE(r.out.find("/nonexistent/qemu-system-x86_64"), std::string::npos) << "the detail under the failure";
    EXPECT_NE(r.err.find("failed"), std::string::npos) << r.err;
  }
}

TEST_F(Doctor, AnswersQuickly) {
  const auto began = std::chrono::steady_clock::now();
  const auto r = doctor({"--json"});
  EXPECT_FALSE(r.timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - began, 3s) << "Doctor must stay well under a second in the daemon";
}

}  // namespace
}  // namespace banger::test
