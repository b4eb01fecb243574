// Config files on disk: explicit paths, errors naming the file, and the VMM
// binaries found on PATH (split from test_config.cpp, which covers the text).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config.h"

namespace banger {
namespace {

namespace fs = std::filesystem;

class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "banger-config-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& text) {
    const fs::path file = dir_ / "bangerd.toml";
    std::ofstream(file) << text;
    return file;
  }
  fs::path dir_;
};

TEST_F(ConfigFile, LoadsAnExplicitFile) {
  const auto file = write("[daemon]\nworkers = 12\n");
  EXPECT_EQ(load_config(file).workers, 12u);
}

TEST_F(ConfigFile, ErrorsNameTheFile) {
  const auto file = write("[daemon]\nworkers = 0\n");
  try {
    load_config(file);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), file.string() + ": daemon.workers: must be an integer between 1 and 64");
  }
}

TEST_F(ConfigFile, MissingExplicitFileIsAnError) {
  const fs::path missing = dir_ / "absent.toml";
  try {
    load_config(missing);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), missing.string() + ": no such file");
  }
}

TEST_F(ConfigFile, VmmBinariesDefaultToTheFirstExecutableOnPath) {
  const fs::path bin = dir_ / "bin";
  fs::create_directories(bin);
  std::ofstream(bin / "firecracker") << "#!/bin/sh\n";
  std::ofstream(bin / "qemu-system-x86_64") << "not executable\n";
  fs::permissions(bin / "firecracker", fs::perms::owner_all);
  const char* old = getenv("PATH");
  const std::string saved = old != nullptr ? old : "";
  setenv("PATH", ("relative:" + bin.string() + ":/nonexistent").c_str(), 1);
  const Config c = default_config();
  setenv("PATH", saved.c_str(), 1);
  EXPECT_EQ(c.firecracker.binary, bin / "firecracker");
  EXPECT_EQ(c.qemu.binary, fs::path("/usr/bin/qemu-system-x86_64"));  // found but not executable
  EXPECT_TRUE(c.firecracker.jailer.empty());
}

// Issue 17, finding 3: Firecracker runs jailed whenever the jailer is installed;
// [vmm] jailer = "" still runs it directly.
TEST_F(ConfigFile, AnInstalledJailerIsTheDefault) {
  const fs::path bin = dir_ / "bin";
  fs::create_directories(bin);
  std::ofstream(bin / "jailer") << "#!/bin/sh\n";
  fs::permissions(bin / "jailer", fs::perms::owner_all);
  const char* old = getenv("PATH");
  const std::string saved = old != nullptr ? old : "";
  setenv("PATH", bin.string().c_str(), 1);
  const Config c = default_config();
  const Config off = parse_config("[vmm]\njailer = \"\"\n");
  setenv("PATH", saved.c_str(), 1);
  EXPECT_EQ(c.firecracker.jailer, bin / "jailer");
  EXPECT_TRUE(off.firecracker.jailer.empty());
}

}  // namespace
}  // namespace banger
