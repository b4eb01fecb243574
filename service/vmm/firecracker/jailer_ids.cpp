#include "vmm/firecracker/jailer_ids.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/log.h"

namespace banger {

namespace fs = std::filesystem;

namespace {

std::string read_holder(const fs::path& claim) {
  std::ifstream in(claim);
  std::string vm_id;
  std::getline(in, vm_id);
  return vm_id;
}

// Writes the VM id to a temporary file and links it to `claim`: link() fails
// with EEXIST when another VM holds the uid, and the claim is never half written.
bool claim_uid(const fs::path& claim, const std::string& vm_id) {
  const fs::path temp = claim.string() + ".new-" + vm_id;
  {
    std::ofstream out(temp, std::ios::trunc);
    out << vm_id << '\n';
    if (!out.flush())
      throw Error(ErrorKind::internal, fmt::format("cannot write {}", temp.string()));
  }
  const bool won = link(temp.c_str(), claim.c_str()) == 0;
  const int link_errno = errno;
  std::error_code ignored;
  fs::remove(temp, ignored);
  if (!won && link_errno != EEXIST)
    throw Error(ErrorKind::internal, fmt::format("cannot claim {}: {}", claim.string(), strerror(link_errno)));
  return won;
}

}  // namespace

JailerIds::JailerIds(fs::path dir, std::uint32_t base, std::uint32_t count)
    : dir_(std::move(dir)), base_(base), count_(count) {}

std::optional<std::uint32_t> JailerIds::find_locked(const std::string& vm_id) const {
  for (std::uint32_t i = 0; i < count_; ++i) {
    const fs::path claim = dir_ / std::to_string(base_ + i);
    std::error_code ec;
    if (fs::exists(claim, ec) && read_holder(claim) == vm_id) return base_ + i;
  }
  return std::nullopt;
}

JailOwner JailerIds::acquire(const std::string& vm_id) {
  std::lock_guard lock(mutex_);
  if (auto held = find_locked(vm_id)) return {*held, *held};
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw Error(ErrorKind::internal, fmt::format("cannot create {}: {}", dir_.string(), ec.message()));
  for (std::uint32_t i = 0; i < count_; ++i) {
    const std::uint32_t uid = base_ + i;
    if (claim_uid(dir_ / std::to_string(uid), vm_id)) {
      log::info("VM {} runs its VMM as uid {}", vm_id, uid);
      return {uid, uid};
    }
  }
  throw Error(ErrorKind::resource_exhausted,
              fmt::format("all {} jailer uids from {} are held by VMs (raise [firecracker] jailer_uid_count)",
                          count_, base_));
}

std::optional<JailOwner> JailerIds::held_by(const std::string& vm_id) const {
  std::lock_guard lock(mutex_);
  if (auto held = find_locked(vm_id)) return JailOwner{*held, *held};
  return std::nullopt;
}

std::uint32_t JailerIds::free_count() const {
  std::lock_guard lock(mutex_);
  std::uint32_t free = 0;
  for (std::uint32_t i = 0; i < count_; ++i) {
    std::error_code ec;
    if (!fs::exists(dir_ / std::to_string(base_ + i), ec)) ++free;
  }
  return free;
}

void JailerIds::release(const std::string& vm_id) noexcept {
  try {
    std::lock_guard lock(mutex_);
    if (auto held = find_locked(vm_id)) {
      std::error_code ec;
      fs::remove(dir_ / std::to_string(*held), ec);
      if (ec) log::warn("cannot release jailer uid {} of VM {}: {}", *held, vm_id, ec.message());
    }
  } catch (const std::exception& e) {
    log::warn("cannot release the jailer uid of VM {}: {}", vm_id, e.what());
  }
}

std::shared_ptr<JailerIds> make_jailer_ids(const FirecrackerSettings& settings, const fs::path& state_dir) {
  if (settings.jailer.empty()) return nullptr;
  return make_vmm_ids(settings, state_dir);
}

std::shared_ptr<JailerIds> make_vmm_ids(const FirecrackerSettings& settings, const fs::path& state_dir) {
  if (settings.jailer_uid_count == 0) return nullptr;
  return std::make_shared<JailerIds>(state_dir / "jailer-uids", settings.jailer_uid_base, settings.jailer_uid_count);
}

}  // namespace banger
