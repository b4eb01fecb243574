// ext4 images made and grown with e2fsprogs, and host tools run and waited for.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "disks/ext4_image.h"
#include "disks/tool.h"
#include "error_kind.h"
#include "store_fixtures.h"

namespace banger {
namespace {

using testing::kind_of;

// dumpe2fs's "Block count" times "Block size", in MiB.
std::uint64_t filesystem_mib(const std::filesystem::path& image) {
  std::string cmd = "dumpe2fs -h " + image.string() + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  char line[512];
  std::uint64_t blocks = 0, block_size = 0;
  while (p != nullptr && fgets(line, sizeof line, p) != nullptr) {
    std::string l(line);
    if (l.starts_with("Block count:")) blocks = std::stoull(l.substr(l.find(':') + 1));
    if (l.starts_with("Block size:")) block_size = std::stoull(l.substr(l.find(':') + 1));
  }
  if (p != nullptr) pclose(p);
  return blocks * block_size / (1024 * 1024);
}

TEST(Ext4Image, MakeIsSparseAndGrowFillsTheFile) {
  testing::TempDir dir;
  const auto image = dir.file("work.ext4");
  disks::make_ext4(image, 1024, "banger-work");
  EXPECT_EQ(disks::size_mib(image), 1024u);
  EXPECT_EQ(filesystem_mib(image), 1024u);
  struct stat st {};
  ASSERT_EQ(::stat(image.c_str(), &st), 0);
  EXPECT_LT(static_cast<std::uint64_t>(st.st_blocks) * 512, 64u << 20) << "a 1 GiB image takes little room";

  disks::grow_ext4(image, 1536);
  EXPECT_EQ(disks::size_mib(image), 1536u);
  EXPECT_EQ(filesystem_mib(image), 1536u);
  disks::grow_ext4(image, 1536);  // the same size: nothing to do
  EXPECT_EQ(kind_of([&] { disks::grow_ext4(image, 1024); }), ErrorKind::invalid_args) << "disks only grow";
  EXPECT_EQ(filesystem_mib(image), 1536u);
}

TEST(Ext4Image, ARefusedMakeLeavesNoFile) {
  testing::TempDir dir;
  const auto image = dir.file("bad.ext4");
  EXPECT_EQ(kind_of([&] { disks::make_ext4(image, 0, "x"); }), ErrorKind::invalid_args);
  {
    // An mkfs.ext4 that fails (as on a full disk): the half-made file goes.
    const auto bin = dir.file("bin");
    std::filesystem::create_directory(bin);
    std::ofstream(bin / "mkfs.ext4") << "#!/bin/sh\necho 'No space left on device' >&2\nexit 1\n";
    std::filesystem::permissions(bin / "mkfs.ext4", std::filesystem::perms::owner_all);
    const std::string saved = getenv("PATH");
    setenv("PATH", (bin.string() + ":" + saved).c_str(), 1);
    EXPECT_EQ(kind_of([&] { disks::make_ext4(image, 64, "x"); }), ErrorKind::backend_failed);
    setenv("PATH", saved.c_str(), 1);
  }
  EXPECT_FALSE(std::filesystem::exists(image));
  disks::make_ext4(image, 64, "ok");
  EXPECT_EQ(kind_of([&] { disks::make_ext4(image, 64, "ok"); }), ErrorKind::exists);
}

TEST(Ext4Image, FreeSpaceIsChecked) {
  testing::TempDir dir;
  EXPECT_NO_THROW(disks::require_free_space(dir.file(""), 1, "a disk"));
  EXPECT_EQ(kind_of([&] { disks::require_free_space(dir.file(""), std::uint64_t{1} << 60, "a disk"); }),
            ErrorKind::resource_exhausted);
}

TEST(Tool, AFailingToolsOutputIsInTheError) {
  try {
    disks::run_tool({"sh", "-c", "echo first; echo 'the reason' >&2; exit 3"});
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::backend_failed);
    EXPECT_NE(std::string(e.what()).find("exit status 3"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("the reason"), std::string::npos) << e.what();
  }
  EXPECT_EQ(kind_of([] { disks::run_tool({"/nonexistent/tool"}); }), ErrorKind::backend_failed);
  EXPECT_NO_THROW(disks::run_tool({"true"}));
}

}  // namespace
}  // namespace banger
