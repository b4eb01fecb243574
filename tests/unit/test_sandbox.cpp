// The sandbox of disks/sandbox.h, where everything that parses a guest-written
// filesystem runs: an unprivileged uid without capabilities, no_new_privs, a
// seccomp filter, no network but lo; and the e2fsprogs runs that go through it.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "disks/ext4_image.h"
#include "disks/guest_identity.h"
#include "disks/sandbox.h"
#include "error_kind.h"
#include "store_fixtures.h"

namespace banger {
namespace {

namespace fs = std::filesystem;
using testing::kind_of;

// "Uid:\t65534\t65534..." lines of /proc/<pid>/status as name → value.
std::map<std::string, std::string> status_fields(const std::string& status) {
  std::map<std::string, std::string> fields;
  std::istringstream in(status);
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    fields[line.substr(0, colon)] = value;
  }
  return fields;
}

// Uid and Gid are the sandbox's (banger-disks, else nobody) in all four places.
void expect_unprivileged(const std::string& status, const disks::Sandbox& sandbox = disks::Sandbox::standard()) {
  const auto fields = status_fields(status);
  const auto four = [](unsigned id) { return fmt::format("{0}\t{0}\t{0}\t{0}", id); };
  ASSERT_NE(sandbox.uid, 0u);
  EXPECT_EQ(fields.at("Uid"), four(sandbox.uid)) << status;
  EXPECT_EQ(fields.at("Gid"), four(sandbox.gid)) << status;
  EXPECT_EQ(fields.at("Groups"), "") << status;
  EXPECT_EQ(fields.at("CapEff"), "0000000000000000") << status;
  EXPECT_EQ(fields.at("CapPrm"), "0000000000000000") << status;
  EXPECT_EQ(fields.at("CapInh"), "0000000000000000") << status;
  EXPECT_EQ(fields.at("CapBnd"), "0000000000000000") << status;
  EXPECT_EQ(fields.at("CapAmb"), "0000000000000000") << status;
  EXPECT_EQ(fields.at("NoNewPrivs"), "1") << status;
  EXPECT_EQ(fields.at("Seccomp"), "2") << status;  // a filter
}

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (it drops to an unprivileged uid)";
    // The sandbox's uid must reach the fake tools and leave its reports here.
    fs::permissions(dir.file(""), fs::perms::all);
    fs::create_directory(bin);
    fs::permissions(bin, fs::perms::all);
  }
  // A fake e2fsprogs tool that reports who ran it (its /proc status) and what it could do.
  void fake_tool(const std::string& name) {
    std::ofstream(bin / name) << "#!/bin/sh\ncat /proc/self/status > " << dir.file(name + ".status").string()
                              << "\ncat /proc/net/dev > " << dir.file(name + ".net").string()
                              << "\nhead -c 1024 \"$(echo \"$@\" | tr ' ' '\\n' | tail -n 1)\" >/dev/null && echo "
                                 "opened > "
                              << dir.file(name + ".image").string() << "\nexit 0\n";
    fs::permissions(bin / name, fs::perms::all);
  }
  std::string report(const std::string& name) {
    std::ifstream in(dir.file(name));
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  struct PathWith {
    explicit PathWith(const fs::path& bin) : saved(std::getenv("PATH")) {
      setenv("PATH", (bin.string() + ":" + saved).c_str(), 1);
    }
    ~PathWith() { setenv("PATH", saved.c_str(), 1); }
    std::string saved;
  };

  testing::TempDir dir;
  fs::path bin = dir.file("bin");
};

TEST_F(SandboxTest, AProgramRunsUnprivilegedFilteredAndWithoutNetwork) {
  const auto status = disks::run_sandboxed({"/bin/sh", "-c", "cat /proc/self/status"});
  expect_unprivileged(status);
  // Its own network namespace: lo only.
  const auto net = disks::run_sandboxed({"/bin/sh", "-c", "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '"});
  EXPECT_EQ(net, "lo\n");
  // The filter refuses new namespaces (the kernel would let an unprivileged user make some).
  EXPECT_EQ(kind_of([] { disks::run_sandboxed({"unshare", "--user", "true"}); }), ErrorKind::backend_failed);
  // Only the descriptors it was given: 0, 1, 2 (and the one ls reads /proc/self/fd with).
  EXPECT_EQ(disks::run_sandboxed({"/bin/sh", "-c", "ls /proc/self/fd | wc -l"}), "4\n");
  // The filter: IP sockets are refused (EAFNOSUPPORT), Unix sockets work.
  if (access("/usr/bin/python3", X_OK) == 0) {
    const std::string probe =
        "import socket\n"
        "socket.socket(socket.AF_UNIX).close()\n"
        "try:\n socket.socket(socket.AF_INET)\n print('inet')\n"
        "except OSError as e:\n print(e.errno)\n";
    EXPECT_EQ(disks::run_sandboxed({"/usr/bin/python3", "-c", probe}), std::to_string(EAFNOSUPPORT) + "\n");
  }
  // Another identity when asked; never root.
  expect_unprivileged(disks::run_sandboxed({"/bin/sh", "-c", "cat /proc/self/status"}, {.uid = 4321, .gid = 4322}),
                      {.uid = 4321, .gid = 4322});
  EXPECT_EQ(kind_of([] { disks::run_sandboxed({"true"}, {.uid = 0, .gid = 0}); }), ErrorKind::invalid_args);
  // A program that is not there is a clear error.
  EXPECT_NE(testing::error_message_of(ErrorKind::backend_failed,
                                      [] { disks::run_sandboxed({"no-such-banger-tool"}); })
                .find("no-such-banger-tool"),
            std::string::npos);
}

TEST_F(SandboxTest, AnImageIsLentToTheSandboxAndGivenBackAsItWas) {
  const auto image = dir.file("disk.img");
  std::ofstream(image) << "guest bytes";
  ASSERT_EQ(chown(image.c_str(), 1234, 5678), 0);
  ASSERT_EQ(chmod(image.c_str(), 0640), 0);
  std::ofstream(bin / "probe") << "#!/bin/sh\ncat /proc/self/status > " << dir.file("probe.status").string()
                               << "\ncat \"$1\" > " << dir.file("probe.read").string() << "\n";
  fs::permissions(bin / "probe", fs::perms::all);
  disks::run_tool_on_image({(bin / "probe").string(), "{image}"}, image);
  expect_unprivileged(report("probe.status"));
  EXPECT_EQ(report("probe.read"), "guest bytes");
  struct stat st {};
  ASSERT_EQ(stat(image.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 5678u);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
}

TEST_F(SandboxTest, AnImageALendNeverGaveBackGoesToRoot) {
  const auto image = dir.file("disk.img");
  std::ofstream(image) << "guest bytes";
  const auto& sandbox = disks::Sandbox::standard();
  ASSERT_EQ(chown(image.c_str(), sandbox.uid, sandbox.gid), 0);
  ASSERT_EQ(chmod(image.c_str(), 0600), 0);
  disks::run_tool_on_image({"/bin/sh", "-c", "test -r \"$0\"", "{image}"}, image);
  struct stat st {};
  ASSERT_EQ(stat(image.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(st.st_gid, 0u);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

// The e2fsprogs runs on guest-written disks (growing a filesystem, forgetting
// a clone's host keys) happen in the sandbox: fakes on PATH report who ran them.
TEST_F(SandboxTest, E2fsprogsOnGuestDisksRunUnprivilegedWithoutNetwork) {
  for (const char* tool : {"e2fsck", "resize2fs", "debugfs"}) fake_tool(tool);
  const auto image = dir.file("root.ext4");
  std::ofstream(image) << std::string(4096, 'x');
  {
    PathWith path(bin);
    disks::grow_filesystem(image);
    disks::forget_ssh_host_keys(image);
  }
  for (const std::string tool : {"e2fsck", "resize2fs", "debugfs"}) {
    SCOPED_TRACE(tool);
    const auto status = report(tool + ".status");
    ASSERT_FALSE(status.empty()) << tool << " did not run";
    expect_unprivileged(status);
    EXPECT_EQ(report(tool + ".net").find("eth"), std::string::npos);
    EXPECT_EQ(report(tool + ".image"), "opened\n") << tool << " could not read the image";
  }
  struct stat st {};
  ASSERT_EQ(stat(image.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u) << "the image is root's again";
}

TEST_F(SandboxTest, RealE2fsprogsGrowAGuestWrittenImage) {
  const auto image = dir.file("work.ext4");
  disks::make_ext4(image, 64, "banger-work");
  EXPECT_NO_THROW(disks::grow_ext4(image, 96));
  EXPECT_EQ(disks::size_mib(image), 96u);
  EXPECT_NO_THROW(disks::forget_ssh_host_keys(image));
}

}  // namespace
}  // namespace banger
