#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "capabilities/vm_directories.h"
#include "recording_events.h"

namespace banger {
namespace {

namespace fs = std::filesystem;

struct VmDirectoriesTest : ::testing::Test {
  fs::path dir = fs::temp_directory_path() / ("banger-dirs-" + std::to_string(getpid()));
  VmDirectories dirs{dir / "state", dir / "run"};
  testing::NullProgress progress;
  VmRecord vm;

  void SetUp() override { vm.id = "0123456789abcdef0123456789abcdef"; }
  void TearDown() override { fs::remove_all(dir); }

  fs::path run() const { return dirs.runtime_dir_of(vm); }
  void run_once() {
    dirs.prepare_host(vm);
    std::ofstream(run() / "console.log") << "banger: guest ready\n";
    std::ofstream(run() / "vmm.log") << "vmm\n";
    fs::create_directories(run() / "sub");
  }
};

TEST_F(VmDirectoriesTest, StopKeepsOnlyTheConsoleLog) {
  dirs.provision(vm, progress);
  run_once();
  for (auto reason : {CleanupReason::stopped, CleanupReason::start_failed}) {
    SCOPED_TRACE(std::string(to_string(reason)));
    dirs.cleanup(vm, reason);
    std::vector<std::string> left;
    for (const auto& entry : fs::directory_iterator(run())) left.push_back(entry.path().filename());
    EXPECT_EQ(left, std::vector<std::string>{"console.log"});
    EXPECT_TRUE(fs::is_directory(dirs.state_dir_of(vm)));
    dirs.cleanup(vm, reason);  // idempotent
    EXPECT_TRUE(fs::exists(run() / "console.log"));
  }
}

TEST_F(VmDirectoriesTest, StartBeginsANewConsoleLog) {
  run_once();
  dirs.cleanup(vm, CleanupReason::stopped);
  dirs.prepare_host(vm);
  EXPECT_TRUE(fs::is_directory(run()));
  EXPECT_FALSE(fs::exists(run() / "console.log"));
}

TEST_F(VmDirectoriesTest, DeleteRemovesBothDirectories) {
  dirs.provision(vm, progress);
  run_once();
  dirs.cleanup(vm, CleanupReason::stopped);
  dirs.cleanup(vm, CleanupReason::deleted);
  EXPECT_FALSE(fs::exists(run()));
  EXPECT_FALSE(fs::exists(dirs.state_dir_of(vm)));
}

}  // namespace
}  // namespace banger
