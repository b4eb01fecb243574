#pragma once
// The fixture of the work disk's tests (test_work_disk*.cpp): a WorkDisk over a
// temporary state directory with one VM, and e2fsprogs' and debugfs' view of
// an image (no mount needed).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "capabilities/work_disk.h"
#include "core/capabilities.h"
#include "error_kind.h"
#include "recording_events.h"
#include "store_fixtures.h"

namespace banger::work_disk_test {

namespace fs = std::filesystem;

constexpr std::uint64_t mib = 1024 * 1024;

inline std::string run(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  char buf[4096];
  for (std::size_t n; p != nullptr && (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  if (p != nullptr) pclose(p);
  return out;
}

// dumpe2fs -h's "Name: value" lines.
inline std::map<std::string, std::string> superblock(const fs::path& image) {
  std::map<std::string, std::string> fields;
  std::istringstream lines(run("dumpe2fs -h " + image.string() + " 2>/dev/null"));
  for (std::string line; std::getline(lines, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const auto value = line.find_first_not_of(' ', colon + 1);
    fields[line.substr(0, colon)] = value == std::string::npos ? "" : line.substr(value);
  }
  return fields;
}

inline std::uint64_t filesystem_mib(const fs::path& image) {
  const auto fields = superblock(image);
  if (!fields.contains("Block count") || !fields.contains("Block size")) return 0;
  return std::stoull(fields.at("Block count")) * std::stoull(fields.at("Block size")) / mib;
}

inline std::uint64_t allocated_bytes(const fs::path& file) {
  struct stat st {};
  return ::stat(file.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_blocks) * 512 : 0;
}

// A file in the image's root directory, written and read with debugfs (no mount needed).
inline void put_file(const fs::path& image, const std::string& name, const std::string& text) {
  testing::TempDir tmp;
  std::ofstream(tmp.file("src")) << text;
  run("debugfs -w -R 'write " + tmp.file("src").string() + " " + name + "' " + image.string() + " 2>&1");
}
inline std::string read_file_in(const fs::path& image, const std::string& name) {
  return run("debugfs -R 'cat /" + name + "' " + image.string() + " 2>/dev/null");
}

struct WorkDiskTest : ::testing::Test {
  testing::TempDir dir;
  fs::path state = dir.file("state");
  WorkDisk disk{state};
  testing::NullProgress progress;
  VmRecord vm = testing::make_vm("0123456789abcdef0123456789abcdef", "web");

  void SetUp() override {
    vm.work_disk_mib = 256;
    fs::create_directories(state / "vms" / vm.id);
  }
  fs::path file() const { return disk.disk_of(vm); }
};

}  // namespace banger::work_disk_test
