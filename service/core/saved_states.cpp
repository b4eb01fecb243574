#include "core/saved_states.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/errors.h"
#include "core/ids.h"
#include "core/log.h"

namespace banger {

namespace fs = std::filesystem;

namespace {

constexpr const char* manifest_name = "manifest";
constexpr const char* files_name = "vmm";

// The manifest's lines, key=value; a value never holds a newline (the format
// line comes from the backend: anything after a newline is cut).
std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

std::string render(const SavedStateManifest& m) {
  return fmt::format("backend={}\nformat={}\nvcpus={}\nmemory_mib={}\nimage={}\nbytes={}\nsaved_at_us={}\n",
                     first_line(m.backend), first_line(m.format), m.vcpus, m.memory_mib, first_line(m.image),
                     m.bytes, m.saved_at_us);
}

template <typename N>
bool number(const std::string& text, N& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

std::optional<SavedStateManifest> parse(const std::string& text) {
  std::map<std::string, std::string> values;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto eq = line.find('=');
    if (eq != std::string::npos) values[line.substr(0, eq)] = line.substr(eq + 1);
  }
  SavedStateManifest m;
  m.backend = values["backend"];
  m.format = values["format"];
  m.image = values["image"];
  if (m.backend.empty() || m.format.empty() || !number(values["vcpus"], m.vcpus) ||
      !number(values["memory_mib"], m.memory_mib) || !number(values["bytes"], m.bytes) ||
      !number(values["saved_at_us"], m.saved_at_us))
    return std::nullopt;
  return m;
}

void require_id(const std::string& vm_id) {
  // The id names a directory: never a path of the caller's choosing.
  if (!is_file_safe_id(vm_id)) throw Error(ErrorKind::internal, fmt::format("internal: '{}' is no VM id", vm_id));
}

void sync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

std::string why_not_loadable(const SavedStateManifest& saved, const SavedStateManifest& now) {
  if (saved.backend != now.backend)
    return fmt::format("it was saved by the {} backend and the VM now runs on {}", saved.backend, now.backend);
  if (saved.format != now.format)
    return fmt::format("the VMM changed since the VM was suspended (saved by '{}', now '{}')", saved.format, now.format);
  if (saved.vcpus != now.vcpus || saved.memory_mib != now.memory_mib)
    return fmt::format("the machine changed since the VM was suspended ({} vCPUs and {} MiB then, {} and {} now)",
                       saved.vcpus, saved.memory_mib, now.vcpus, now.memory_mib);
  if (saved.image != now.image)
    return fmt::format("the image changed since the VM was suspended ('{}' then, '{}' now)", saved.image, now.image);
  return {};
}

SavedStates::SavedStates(fs::path dir) : dir_(std::move(dir)) {}

fs::path SavedStates::begin(const std::string& vm_id) {
  require_id(vm_id);
  drop(vm_id);
  const fs::path files = dir_ / vm_id / files_name;
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (!ec) fs::permissions(dir_, fs::perms::owner_all, ec);
  if (!ec) fs::create_directories(files, ec);
  if (!ec) fs::permissions(dir_ / vm_id, fs::perms::owner_all, ec);
  if (!ec) fs::permissions(files, fs::perms::owner_all, ec);
  if (ec)
    throw Error(ErrorKind::backend_failed, fmt::format("cannot make the directory for a saved state {}: {}",
                                                       files.string(), ec.message()));
  return files;
}

void SavedStates::commit(const std::string& vm_id, const SavedStateManifest& manifest) {
  require_id(vm_id);
  sync_dir(files(vm_id));
  write_file_atomically(dir_ / vm_id / manifest_name, render(manifest));
}

std::optional<SavedStateManifest> SavedStates::find(const std::string& vm_id) const {
  if (!is_file_safe_id(vm_id)) return std::nullopt;
  std::ifstream in(dir_ / vm_id / manifest_name);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str());
}

fs::path SavedStates::files(const std::string& vm_id) const { return dir_ / vm_id / files_name; }

void SavedStates::drop(const std::string& vm_id) noexcept {
  if (!is_file_safe_id(vm_id)) return;
  const fs::path dir = dir_ / vm_id;
  std::error_code ec;
  if (fs::remove(dir / manifest_name, ec)) sync_dir(dir);
  fs::remove_all(dir, ec);
  if (ec) log::warn("cannot remove the saved state {}: {}", dir.string(), ec.message());
}

std::vector<std::string> SavedStates::ids() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec))
    if (entry.is_directory(ec) && is_file_safe_id(entry.path().filename().string()))
      out.push_back(entry.path().filename().string());
  return out;
}

}  // namespace banger
