#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "core/console_log.h"
#include "core/console_logs.h"
#include "core/errors.h"

namespace banger {
namespace {

namespace fs = std::filesystem;

// Runs the tests on both the host's /tmp and a tmpfs (where /run is, in production).
class ConsoleLogTest : public ::testing::TestWithParam<const char*> {
 protected:
  fs::path dir = fs::path(GetParam()) / ("banger-console-" + std::to_string(getpid()));
  fs::path log = dir / "vms" / "vm1" / "console.log";

  void SetUp() override {
    std::error_code ec;
    if (!fs::is_directory(GetParam(), ec)) GTEST_SKIP() << GetParam() << " does not exist here";
    fs::create_directories(log.parent_path());
  }
  void TearDown() override { fs::remove_all(dir); }

  // What a VMM does: O_APPEND writes.
  void append(const std::string& data) const {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
    close(fd);
  }

  // Numbered lines, so that any lost or repeated byte shows.
  static std::string lines(int from, int to) {
    std::string out;
    for (int i = from; i < to; ++i) out += "console line " + std::to_string(i) + "\n";
    return out;
  }

  void cap(std::uint64_t max) const {
    if (!cap_console_log(log, max)) GTEST_SKIP() << "this file system cannot punch holes";
  }
};

TEST_P(ConsoleLogTest, MissingLogReadsEmpty) {
  auto chunk = read_console_log(log, 0, 4096);
  EXPECT_EQ(chunk.data, "");
  EXPECT_EQ(chunk.next_offset, 0u);
  EXPECT_TRUE(cap_console_log(log, 4096)) << "nothing to cap is not a failure";
}

TEST_P(ConsoleLogTest, ReadsInPiecesAndFollowsAppends) {
  append("hello ");
  auto first = read_console_log(log, 0, 3);
  EXPECT_EQ(first.data, "hel");
  auto second = read_console_log(log, first.next_offset, 4096);
  EXPECT_EQ(second.data, "lo ");
  EXPECT_EQ(second.next_offset, 6u);
  auto idle = read_console_log(log, second.next_offset, 4096);
  EXPECT_EQ(idle.data, "");
  EXPECT_EQ(idle.next_offset, 6u);
  append("world\n");
  auto more = read_console_log(log, idle.next_offset, 4096);
  EXPECT_EQ(more.data, "world\n");
  EXPECT_EQ(more.next_offset, 12u);
}

TEST_P(ConsoleLogTest, OffsetPastTheEndMeansTheLogStartedAnew) {
  append("a new run\n");
  auto chunk = read_console_log(log, 1'000'000, 4096);
  EXPECT_EQ(chunk.data, "a new run\n");
  EXPECT_EQ(chunk.next_offset, 10u);
}

TEST_P(ConsoleLogTest, ReadSizeIsChecked) {
  append("x");
  for (std::uint32_t bad : {0u, console_read_limit + 1}) {
    try {
      read_console_log(log, 0, bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::invalid_args) << bad;
    }
  }
  EXPECT_EQ(read_console_log(log, 0, console_read_limit).data, "x");
}

TEST_P(ConsoleLogTest, CapKeepsTheTailAndFreesTheRest) {
  const std::string written = lines(0, 20000);  // ~370 KiB
  append(written);
  const std::uint64_t max = 16384;
  cap(max);
  EXPECT_EQ(fs::file_size(log), written.size()) << "offsets stay valid: the size never shrinks";
  EXPECT_LE(console_log_disk_usage(log), max + 2 * 4096) << "the older part no longer takes space";

  std::string kept;
  std::uint64_t offset = 0, first = 0;
  for (;;) {
    auto chunk = read_console_log(log, offset, 5000);
    if (chunk.data.empty()) break;
    if (offset == 0) first = chunk.next_offset - chunk.data.size();
    kept += chunk.data;
    offset = chunk.next_offset;
  }
  EXPECT_GE(kept.size(), max) << "at least the cap is kept";
  EXPECT_LT(kept.size(), max + 64 * 1024);
  EXPECT_EQ(first + kept.size(), written.size());
  EXPECT_EQ(kept, written.substr(written.size() - kept.size())) << "the kept tail is what was written, unaltered";

  // An offset that was freed starts at the oldest kept byte.
  auto from_freed = read_console_log(log, 10, 100);
  EXPECT_EQ(from_freed.data, written.substr(first, 100));

  // Capping again changes nothing; more output moves the window.
  cap(max);
  EXPECT_EQ(read_console_log(log, 0, 100).data, written.substr(first, 100));
  append(lines(20000, 30000));
  cap(max);
  EXPECT_GT(read_console_log(log, 0, 100).next_offset, first + 100);
}

TEST_P(ConsoleLogTest, CapLosesNothingAWriterAppendsMeanwhile) {
  append("");
  std::atomic<bool> done{false};
  std::thread writer([&] {
    int fd = open(log.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    for (int i = 0; i < 40000; ++i) {
      std::string line = "console line " + std::to_string(i) + "\n";
      if (write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) break;
    }
    close(fd);
    done = true;
  });
  bool punched = true;
  while (!done) punched = cap_console_log(log, 8192) && punched;
  writer.join();
  if (!punched) GTEST_SKIP() << "this file system cannot punch holes";
  cap(8192);

  const std::string written = lines(0, 40000);
  std::string kept;
  for (std::uint64_t offset = 0;;) {
    auto chunk = read_console_log(log, offset, console_read_limit);
    if (chunk.data.empty()) break;
    kept += chunk.data;
    offset = chunk.next_offset;
  }
  ASSERT_GE(kept.size(), 8192u);
  EXPECT_EQ(kept, written.substr(written.size() - kept.size()));
}

TEST_P(ConsoleLogTest, ConsoleLogsCapsEveryVmsLog) {
  const std::string written = lines(0, 10000);
  append(written);
  fs::create_directories(dir / "vms" / "vm2");
  std::ofstream(dir / "vms" / "vm2" / "console.log") << written;
  ConsoleLogs logs(dir, 8192);
  EXPECT_EQ(logs.path_of("vm1"), log);
  logs.cap_all();
  for (const char* vm : {"vm1", "vm2"}) {
    const auto usage = console_log_disk_usage(logs.path_of(vm));
    if (usage > 64 * 1024) GTEST_SKIP() << "this file system cannot punch holes";
    EXPECT_LE(usage, 8192u + 2 * 4096) << vm;
    const auto tail = logs.read(vm, 0, console_read_limit).data;
    EXPECT_GE(tail.size(), 8192u) << vm;
    EXPECT_TRUE(written.ends_with(tail)) << vm;
  }
}

INSTANTIATE_TEST_SUITE_P(FileSystems, ConsoleLogTest, ::testing::Values("/tmp", "/dev/shm"));

}  // namespace
}  // namespace banger
