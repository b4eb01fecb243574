// The fake Firecracker's snapshots (PUT /snapshot/create and /snapshot/load)
// and the guest memory they hold, apart from its other requests.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "fake_firecracker_api.h"
#include "fake_firecracker_schema.h"

namespace fakefc {

namespace {

using nlohmann::json;

// The snapshot files. The state file starts with this line, then holds the
// machine as JSON; the memory file is guest memory, byte for byte, at its full
// size (as Firecracker writes it), each non-zero page filled with its value.
constexpr const char* state_magic = "FAKE-FIRECRACKER-STATE 1";
constexpr std::uint64_t page_size = 4096;
using Pages = std::map<std::uint64_t, std::uint64_t>;

void fill_page(char* page, std::uint64_t value) {
  for (std::uint64_t word = 0; word < page_size / 8; ++word) {
    const std::uint64_t v = value + word;
    std::memcpy(page + word * 8, &v, 8);
  }
}

// What memory holds, so that a load can tell its memory file is the whole,
// right one (a page lost by a sparse copy, a Diff not layered onto its base).
std::uint64_t digest(const Pages& pages) {
  std::uint64_t hash = 1469598103934665603ULL;
  auto mix = [&](std::uint64_t word) {
    for (int i = 0; i < 8; ++i) hash = (hash ^ ((word >> (8 * i)) & 0xff)) * 1099511628211ULL;
  };
  for (const auto& [index, value] : pages) {
    mix(index);
    mix(value);
  }
  return hash;
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

void Vmm::guest_writes(int count) {
  if (!machine_config_body_.is_object()) return;  // no machine, no memory
  const std::uint64_t total = machine_config_body_.value("mem_size_mib", 0) * (1 << 20) / page_size;
  if (total == 0) return;
  for (int i = 0; i < count; ++i) {
    ++writes_;
    const std::uint64_t index = (writes_ * 2654435761ULL) % total;
    pages_[index] = writes_ << 20;  // never zero
    dirty_[index] = pages_[index];
  }
}

// PUT /snapshot/create: Firecracker's rules (post-boot, Paused, Diff only with
// dirty page tracking), then the two files at the paths given (created,
// truncated), as the VMM's own uid would write them.
std::string Vmm::create_snapshot(const json& body) {
  std::string error = check_schema(body, "SnapshotCreateParams",
                                   {{"mem_file_path", Type::string, true},
                                    {"snapshot_path", Type::string, true},
                                    {"snapshot_type", Type::string}});
  if (!error.empty()) return error;
  if (!one_of(body, "snapshot_type", {"Full", "Diff"}))
    return "SnapshotCreateParams: unknown variant of snapshot_type, expected `Full` or `Diff`";
  if (!started_) return "The requested operation is not supported before starting the microVM.";
  if (!paused_) return "Cannot create a snapshot: the microVM is not paused.";
  const bool diff = body.value("snapshot_type", "Full") == "Diff";
  if (diff && !track_dirty_pages_)
    return "Diff snapshots are not allowed on uVMs with dirty page tracking disabled.";
  const std::string state_path = body["snapshot_path"], mem_path = body["mem_file_path"];
  for (const auto& p : {state_path, mem_path})
    if (!chroot_.empty() && (p.empty() || p[0] != '/' || p.find("..") != std::string::npos))
      return "Cannot create a snapshot: not a path inside the jail: " + p;

  json state{{"vmm_version", version},          {"snapshot_type", diff ? "Diff" : "Full"},
             {"machine_config", machine_config_body_}, {"drives", drives_},
             {"network_interfaces", interfaces_}, {"memory_digest", digest(pages_)}};
  {
    std::ofstream out(chroot_ + state_path, std::ios::trunc);
    out << state_magic << "\n" << state.dump() << "\n";
    if (!out.flush()) return "Cannot save the microVM state: " + state_path + ": " + errno_text();
  }
  const std::uint64_t size = machine_config_body_["mem_size_mib"].get<std::uint64_t>() << 20;
  int fd = ::open((chroot_ + mem_path).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return "Cannot save the microVM memory: " + mem_path + ": " + errno_text();
  bool ok = ftruncate(fd, static_cast<off_t>(size)) == 0;
  std::vector<char> chunk(1 << 20);
  if (diff) {  // the dirty pages at their offsets, nothing else: the rest stays a hole
    for (const auto& [index, value] : dirty_) {
      fill_page(chunk.data(), value);
      ok = ok && pwrite(fd, chunk.data(), page_size, static_cast<off_t>(index * page_size)) ==
                     static_cast<ssize_t>(page_size);
    }
  } else {  // all of it, zeros too
    for (std::uint64_t at = 0; ok && at < size; at += chunk.size()) {
      std::fill(chunk.begin(), chunk.end(), 0);
      for (auto it = pages_.lower_bound(at / page_size); it != pages_.end() && it->first * page_size < at + chunk.size(); ++it)
        fill_page(chunk.data() + (it->first * page_size - at), it->second);
      ok = pwrite(fd, chunk.data(), chunk.size(), static_cast<off_t>(at)) == static_cast<ssize_t>(chunk.size());
    }
  }
  if (!ok) error = "Cannot save the microVM memory: " + mem_path + ": " + errno_text();
  ::close(fd);
  if (error.empty()) dirty_.clear();  // both kinds reset the dirty bitmap
  return error;
}

// PUT /snapshot/load: only on a fresh VMM (Logger and Metrics aside); reads
// and checks both files; the drives the state names must be there (Firecracker
// reopens them at the paths they had); then Paused, or Running with resume_vm.
std::string Vmm::load_snapshot(const json& body) {
  std::string error = check_schema(body, "SnapshotLoadParams",
                                   {{"snapshot_path", Type::string, true},
                                    {"mem_file_path", Type::string},
                                    {"mem_backend", Type::object},
                                    {"enable_diff_snapshots", Type::boolean},
                                    {"track_dirty_pages", Type::boolean},
                                    {"resume_vm", Type::boolean},
                                    {"network_overrides", Type::array},
                                    {"vsock_override", Type::object},
                                    {"clock_realtime", Type::boolean},
                                    {"huge_pages", Type::string}});
  if (!error.empty()) return error;
  if (body.contains("mem_file_path") == body.contains("mem_backend"))
    return "SnapshotLoadParams: exactly one of `mem_file_path` and `mem_backend` must be given";
  std::string mem_path;
  if (body.contains("mem_backend")) {
    const json& backend = body["mem_backend"];
    error = check_schema(backend, "MemoryBackend",
                         {{"backend_type", Type::string, true}, {"backend_path", Type::string, true}});
    if (!error.empty()) return error;
    if (!one_of(backend, "backend_type", {"File", "Uffd"})) return "MemoryBackend: unknown variant of backend_type";
    if (backend["backend_type"] != "File") return "MemoryBackend: this fake serves no Uffd";
    mem_path = backend["backend_path"];
  } else {
    mem_path = body["mem_file_path"];
  }
  if (body.contains("network_overrides"))
    for (const auto& o : body["network_overrides"]) {
      error = check_schema(o, "NetworkOverride", {{"iface_id", Type::string, true}, {"host_dev_name", Type::string, true}});
      if (!error.empty()) return error;
    }
  if (!one_of(body, "huge_pages", {"Snapshot", "None", "Transparent", "2M"})) return "SnapshotLoadParams: invalid huge_pages";
  if (started_ || loaded_ || machine_config_ || boot_source_ || !drives_.empty() || !interfaces_.empty())
    return "Loading a microVM snapshot not allowed after configuring boot-specific resources.";

  const std::string state_path = body["snapshot_path"];
  if (auto missing = missing_file("Cannot load the microVM state", state_path); !missing.empty()) return missing;
  if (auto missing = missing_file("Cannot load the microVM memory", mem_path); !missing.empty()) return missing;
  std::ifstream in(chroot_ + state_path);
  std::string magic;
  std::getline(in, magic);
  if (magic != state_magic) return "Cannot load the microVM state: " + state_path + ": not a snapshot (bad magic)";
  std::stringstream rest;
  rest << in.rdbuf();
  json state = json::parse(rest.str(), nullptr, false);
  auto member_is = [&](const char* key, bool (json::*is)() const noexcept) {
    return state.is_object() && state.contains(key) && (state[key].*is)();
  };
  if (!member_is("machine_config", &json::is_object) || !member_is("drives", &json::is_object) ||
      !member_is("network_interfaces", &json::is_object) || !member_is("memory_digest", &json::is_number_unsigned) ||
      !member_is("vmm_version", &json::is_string) || !state["machine_config"].contains("mem_size_mib"))
    return "Cannot load the microVM state: corrupt: " + state_path;
  if (state["vmm_version"] != version)
    return "Cannot load the microVM state: snapshot of Firecracker " + state.value("vmm_version", "?") +
           ", this is " + version;
  json interfaces = state["network_interfaces"];
  if (body.contains("network_overrides"))
    for (const auto& o : body["network_overrides"]) {
      if (!interfaces.contains(o["iface_id"].get<std::string>()))
        return "Invalid network override: no network interface " + o["iface_id"].get<std::string>();
      interfaces[o["iface_id"].get<std::string>()]["host_dev_name"] = o["host_dev_name"];
    }
  for (const auto& [id, drive] : state["drives"].items())
    if (drive.contains("path_on_host"))
      if (auto missing = missing_file("Cannot restore drive " + id, drive["path_on_host"]); !missing.empty())
        return missing;

  // The memory file: its full size, every page zero or a whole page of the
  // fake's, and together exactly the memory the state was saved with.
  const std::uint64_t size = state["machine_config"]["mem_size_mib"].get<std::uint64_t>() << 20;
  int fd = ::open((chroot_ + mem_path).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "Cannot load the microVM memory: " + mem_path + ": " + errno_text();
  struct stat st {};
  fstat(fd, &st);
  Pages pages;
  std::vector<char> page(page_size), zero(page_size, 0), expected(page_size);
  for (std::uint64_t at = 0; error.empty() && static_cast<off_t>(at) < st.st_size; at += page_size) {
    if (pread(fd, page.data(), page_size, static_cast<off_t>(at)) != static_cast<ssize_t>(page_size)) {
      error = "Cannot load the microVM memory: short read";
      break;
    }
    if (page == zero) continue;
    std::uint64_t value;
    std::memcpy(&value, page.data(), 8);
    fill_page(expected.data(), value);
    if (page != expected) error = "Cannot load the microVM memory: page " + std::to_string(at / page_size) + " is garbage";
    pages[at / page_size] = value;
  }
  ::close(fd);
  if (!error.empty()) return error;
  if (static_cast<std::uint64_t>(st.st_size) != size)
    return "Cannot load the microVM memory: " + mem_path + " holds " + std::to_string(st.st_size) +
           " bytes, the microVM has " + std::to_string(size);
  if (digest(pages) != state["memory_digest"].get<std::uint64_t>())
    return "Cannot load the microVM memory: " + mem_path + " is not the memory of this snapshot";

  machine_config_body_ = state["machine_config"];
  drives_ = state["drives"];
  interfaces_ = interfaces;
  pages_ = std::move(pages);
  dirty_.clear();
  track_dirty_pages_ = body.value("track_dirty_pages", false) || body.value("enable_diff_snapshots", false);
  loaded_ = started_ = machine_config_ = boot_source_ = true;
  paused_ = !body.value("resume_vm", false);
  return {};
}

}  // namespace fakefc
