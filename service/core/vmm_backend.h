#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/errors.h"
#include "core/machine_config.h"

namespace banger {

enum class VmmStatus { running, paused, exited };

// What configure() throws when it handed the VMM a saved state (MachineConfig::
// restore_from) and the VMM refused it: a corrupt file, a state it cannot read.
// The caller drops that state. Any other failure of a restore (a VMM that would
// not launch, a missing drive) leaves the state as it was, to be tried again.
class SavedStateRefused : public Error {
 public:
  explicit SavedStateRefused(const std::string& message) : Error(ErrorKind::backend_failed, message) {}
};

// A VMM implementation (Firecracker, QEMU, the tests' stand-in). `handles` is
// the backend's own JSON object naming what it launched (sockets, binaries…),
// kept in the VM's runtime handles file so that a restarted daemon can adopt
// or release it. It must hold the VMM's "pid" and "start_time" (/proc stat
// field 22): the daemon watches that process for its exit.
// Every call throws Error(backend_failed) with a message fit for LastError.
class VmmBackend {
 public:
  virtual ~VmmBackend() = default;
  virtual std::string_view name() const = 0;
  // The kernel file of an image this backend boots ("vmlinuz" for QEMU,
  // "vmlinux" for Firecracker's ELF loader); empty when it boots no image.
  virtual std::string_view kernel_file() const = 0;
  // Why this backend cannot run VMs on this host (e.g. its binary is missing);
  // empty when it can. Creating a VM on an unavailable backend is refused.
  virtual std::string unavailable() const { return {}; }

  // Starts the VMM process in its own session, so it outlives the daemon.
  virtual std::string launch(const MachineConfig& machine) = 0;
  virtual void configure(const std::string& handles, const MachineConfig& machine) = 0;
  virtual void start(const std::string& handles) = 0;
  // Asks the guest to shut down; after `timeout` ends the VMM forcibly.
  virtual void stop(const std::string& handles, std::chrono::milliseconds timeout) = 0;
  virtual void kill(const std::string& handles) = 0;
  virtual void pause(const std::string& handles) = 0;
  virtual void resume(const std::string& handles) = 0;
  virtual VmmStatus status(const std::string& handles) = 0;
  // After a daemon restart: true when the process named by `handles` is still
  // the one launched (not a reused pid) and still runs.
  virtual bool adopt(const std::string& handles) = 0;
  // After the VMM exited, its exit code as the backend can tell after the fact
  // (its log); nullopt when it cannot. For VMMs adopted after a restart, whose
  // exit status bangerd cannot wait for.
  virtual std::optional<int> exit_code(const std::string& handles) { return std::nullopt; }
  // The VMM of `handles` died while its VM was starting. True when the backend
  // will launch the next one differently and a second attempt is worth it
  // (QEMU's automatic accelerator: a VMM that dies under KVM, as on hosts with
  // broken nested virtualization, makes the next launch use TCG).
  virtual bool fall_back_after_failed_start(const std::string& handles) { return false; }

  // Suspend to disk (VM.Suspend, issue 19). What a state this backend saves for
  // `machine` needs in order to load again (the VMM's version, its accelerator…),
  // as one line; a state saved under another answer is not loaded but dropped.
  // Empty: this backend cannot save state (Suspend answers NotSupported).
  virtual std::string saved_state_format(const MachineConfig& machine) const { return {}; }
  // Writes the memory and device state of the paused VMM of `handles` into
  // `dir` (exists, empty, root's, 0700; the backend may hand it to its VMM's
  // uid). Zero pages are not stored. The VMM stays, paused; the caller ends it.
  // Returns the bytes written. The files are the VMM's own: bangerd never parses them.
  virtual std::uint64_t save_state(const std::string& handles, const std::filesystem::path& dir) {
    throw std::logic_error("save_state on a backend without saved_state_format");
  }
};

}  // namespace banger
