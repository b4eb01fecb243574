#include "disks/guest_host_key_file.h"

#include <fstream>
#include <sstream>
#include <system_error>

#include "core/atomic_file.h"
#include "core/errors.h"
#include "core/log.h"
#include "disks/tool.h"

namespace banger::disks {

namespace fs = std::filesystem;

namespace {

// Removes the scratch directory however the write ends: it holds the secret.
struct ScratchDir {
  fs::path path;
  explicit ScratchDir(fs::path p) : path(std::move(p)) {
    std::error_code ec;
    fs::remove_all(path, ec);
    fs::create_directories(path);
    fs::permissions(path, fs::perms::owner_all);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string read_all(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

bool write_guest_secret_file(const fs::path& root_disk, const std::string& guest_path, const std::string& content,
                             const fs::path& scratch) {
  ScratchDir dir(scratch / "guest-secret.tmp");
  const auto source = dir.path / "content";
  const auto back = dir.path / "read-back";
  write_file_atomically(source, content, 0600);
  // One debugfs run: a missing file to remove is reported, not fatal, and so
  // is a missing directory to write into, which the read-back then shows.
  std::string commands = "rm " + guest_path + "\n" + "write " + source.string() + " " + guest_path + "\n" +
                         "sif " + guest_path + " mode 0100600\n" + "sif " + guest_path + " uid 0\n" + "sif " +
                         guest_path + " gid 0\n";
  write_file_atomically(dir.path / "write.debugfs", commands, 0600);
  write_file_atomically(dir.path / "read.debugfs", "dump " + guest_path + " " + back.string() + "\n", 0600);
  try {
    run_tool({"debugfs", "-w", "-f", (dir.path / "write.debugfs").string(), root_disk.string()});
    run_tool({"debugfs", "-f", (dir.path / "read.debugfs").string(), root_disk.string()});
  } catch (const Error& e) {
    log::info("cannot write {} onto {}: {}", guest_path, root_disk.string(), e.what());
    return false;
  }
  return fs::exists(back) && read_all(back) == content;
}

}  // namespace banger::disks
