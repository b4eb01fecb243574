#include "capabilities/guest_host_keys.h"

#include <fstream>
#include <mutex>
#include <sstream>

#include "core/atomic_file.h"
#include "core/log.h"

namespace banger {

namespace fs = std::filesystem;

namespace {

// Two first sessions to one guest must not both pin: the second sees the first's key.
std::mutex first_pins;

}  // namespace

GuestHostKeys::GuestHostKeys(fs::path state_dir) : state_dir_(std::move(state_dir)) {}

fs::path GuestHostKeys::file_of(const std::string& vm_id) const { return state_dir_ / "vms" / vm_id / "ssh_host_key.pub"; }

std::optional<std::string> GuestHostKeys::pinned(const std::string& vm_id) const {
  std::ifstream in(file_of(vm_id));
  std::string line;
  if (!in || !std::getline(in, line) || line.empty()) return std::nullopt;
  return line;
}

void GuestHostKeys::pin(const std::string& vm_id, const std::string& public_line) const {
  write_file_atomically(file_of(vm_id), public_line + "\n", 0644);
}

std::string GuestHostKeys::pin_if_none(const std::string& vm_id, const std::string& public_line) const {
  std::lock_guard lock(first_pins);
  if (auto existing = pinned(vm_id)) return *existing;
  pin(vm_id, public_line);
  return public_line;
}

SshHostKeyCheck GuestHostKeys::check_for(const VmRecord& vm) const { return check_for(vm.id, vm.name); }

SshHostKeyCheck GuestHostKeys::check_for(const std::string& vm_id, const std::string& vm_name) const {
  SshHostKeyCheck check;
  check.vm_name = vm_name;
  check.pinned = pinned(vm_id).value_or("");
  check.first_seen = [keys = *this, id = vm_id, name = vm_name](const std::string& presented) {
    auto in_force = keys.pin_if_none(id, presented);
    if (in_force == presented)
      log::info("VM '{}': its guest's SSH host key is now pinned at first contact (it was not given one)", name);
    return in_force;
  };
  return check;
}

}  // namespace banger
