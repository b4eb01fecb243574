#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace banger {

// What a saved state was made for (VM.Suspend, issue 19). bangerd writes it
// (root's file in a root-only directory) and compares it with what a restore
// would run now: a state loads only into the same backend, VMM version and
// accelerator (VmmBackend::saved_state_format), vCPUs, memory and image.
struct SavedStateManifest {
  std::string backend;
  std::string format;
  std::uint32_t vcpus = 0;
  std::uint32_t memory_mib = 0;
  std::string image;
  std::uint64_t bytes = 0;        // what the VMM wrote
  std::uint64_t saved_at_us = 0;  // wall clock, for the guest clock and for people

  bool operator==(const SavedStateManifest&) const = default;
};

// Why `saved` cannot be loaded where `now` describes the restore ("the QEMU
// version changed (…) since the VM was suspended"); empty when it can.
// bytes and saved_at_us do not count.
std::string why_not_loadable(const SavedStateManifest& saved, const SavedStateManifest& now);

// The saved states of suspended VMs, one directory per VM id under `dir` (the
// state dir, so they survive a host reboot):
//   <dir>/<id>/vmm/      the VMM's files, opaque to bangerd (guest memory: never parsed here)
//   <dir>/<id>/manifest  written last: a state without it is a save that did not finish.
// A state exists exactly while its VM is suspended; recovery drops any other.
class SavedStates {
 public:
  explicit SavedStates(std::filesystem::path dir);

  // A fresh, empty <id>/vmm (root's, 0700) for the VMM to save into; any earlier
  // state of the VM is gone first. Throws Error(backend_failed).
  std::filesystem::path begin(const std::string& vm_id);
  // Makes the saved state count: durable on return. Throws Error(backend_failed).
  void commit(const std::string& vm_id, const SavedStateManifest& manifest);
  // The manifest of a committed state; nullopt without one (or unreadable).
  std::optional<SavedStateManifest> find(const std::string& vm_id) const;
  // Where the VMM's files of a committed state are (MachineConfig::restore_from).
  std::filesystem::path files(const std::string& vm_id) const;
  // Forgets the state: the manifest goes first (durably), so a crash halfway
  // leaves files that count for nothing, which the next drop removes.
  void drop(const std::string& vm_id) noexcept;
  // Every VM id with a directory here, committed or not.
  std::vector<std::string> ids() const;

 private:
  std::filesystem::path dir_;
};

}  // namespace banger
