#include "workspace/workspaces.h"

#include <algorithm>

#include <fmt/format.h>

#include "capabilities/guest_host_keys.h"
#include "capabilities/ssh_login.h"
#include "core/errors.h"
#include "core/log.h"
#include "core/vm_manager.h"
#include "workspace/entry_rules.h"
#include "workspace/routes.h"

namespace banger {

namespace {

// Stage and progress for the Operation, about every percent (or 8 MiB without a size).
workspace::ByteProgress reporter(ProgressSink& sink, std::string_view verb, std::uint64_t size) {
  return [&sink, verb = std::string(verb), size, last = std::uint64_t{0}](std::uint64_t bytes) mutable {
    const std::uint64_t step = size > 0 ? std::max<std::uint64_t>(size / 100, 1 << 20) : 8 << 20;
    if (bytes - last < step) return;
    last = bytes;
    const double fraction = size > 0 ? std::min(0.95, 0.05 + 0.9 * static_cast<double>(bytes) / size) : 0.5;
    sink.report(fmt::format("{} {} MiB", verb, bytes >> 20), fraction);
  };
}

SshSession session_to(const WorkspaceTransfer& transfer, const SshKeyPair& key, const Workspaces::Settings& settings,
                      const SshHostKeyCheck& host) {
  SshLogin login;
  // Bulk data: ChaCha20 first, which a guest without AES instructions (or under TCG) decrypts fastest.
  auto session = open_ssh_session(transfer.address, settings.ssh_port, "root", key, host, settings.ssh_timeout, login,
                                  "chacha20-poly1305@openssh.com,aes128-ctr,aes256-ctr,aes128-gcm@openssh.com");
  if (!session)
    throw Error(ErrorKind::backend_failed,
                fmt::format("cannot log in to VM '{}' over SSH: {}", transfer.vm.name, login.detail));
  return session;
}

}  // namespace

std::filesystem::path work_disk_image(const std::filesystem::path& state_dir, const std::string& vm_id) {
  return state_dir / "vms" / vm_id / "work.ext4";
}

Workspaces::Workspaces(Deps deps, Settings settings) : deps_(std::move(deps)), settings_(settings) {}

WorkspaceTransfer Workspaces::begin(const std::string& vm_id) {
  WorkspaceTransfer transfer;
  deps_.vms.inspect(vm_id, [&](const VmRecord& vm) {
    const bool running = vm.state == VmState::running;
    if (!running && vm.state != VmState::created && vm.state != VmState::stopped && vm.state != VmState::failed)
      throw Error(ErrorKind::invalid_state,
                  fmt::format("VM '{}' is {}: workspaces move while it runs or is stopped", vm.name, to_string(vm.state)));
    if (vm.work_disk_mib == 0)
      throw Error(ErrorKind::invalid_state,
                  fmt::format("VM '{}' has no work disk (work_disk 0): give it one with Set work_disk", vm.name));
    if (running) {
      auto attachment = deps_.attachments.attachment_of(vm);
      if (!attachment)
        throw Error(ErrorKind::invalid_state,
                    fmt::format("VM '{}' runs without a network, so its work disk cannot be reached", vm.name));
      transfer.address = attachment->address;
    } else if (vm.state == VmState::failed && deps_.vms.recorded_vmm_runs(vm)) {
      // The offline route mounts the work disk image: never beside a VMM that may write it.
      throw Error(ErrorKind::invalid_state,
                  fmt::format("VM '{}' failed, but its VMM still runs: start it again (which ends that VMM first) "
                              "or delete it before moving its workspace",
                              vm.name));
    } else if (!std::filesystem::exists(work_disk_image(deps_.state_dir, vm.id))) {
      throw Error(ErrorKind::invalid_state, fmt::format("VM '{}' has no work disk image yet", vm.name));
    }
    transfer.claim = deps_.locks.claim(vm.id, vm.name);
    transfer.vm = vm;
  });
  return transfer;
}

void Workspaces::push(const WorkspaceTransfer& transfer, int archive, const PushOptions& options,
                      ProgressSink& progress) {
  progress.report("copying", 0.05);
  std::uint64_t total = 0;
  const auto report = reporter(progress, "copied", options.size);
  const auto bytes = [&](std::uint64_t n) {
    total = n;
    report(n);
  };
  const auto started = std::chrono::steady_clock::now();
  if (transfer.address.empty()) {
    workspace::push_offline(settings_.disk_helper, work_disk_image(deps_.state_dir, transfer.vm.id), archive, options, bytes);
  } else {
    auto session = session_to(transfer, deps_.key, settings_, GuestHostKeys(deps_.state_dir).check_for(transfer.vm));
    log::info("workspace push into VM '{}': SSH session after {} ms", transfer.vm.name,
              std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());
    workspace::push_online(session.get(), archive, options, bytes);
  }
  log::info("workspace push into VM '{}': {} MiB in {} ms ({})", transfer.vm.name, total >> 20,
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count(),
            transfer.address.empty() ? "offline" : "over SSH");
  progress.report("done", 1.0);
}

void Workspaces::pull(const WorkspaceTransfer& transfer, int archive, const PullOptions& options,
                      ProgressSink& progress) {
  progress.report("copying", 0.05);
  const auto bytes = reporter(progress, "copied", 0);
  if (transfer.address.empty())
    workspace::pull_offline(settings_.disk_helper, work_disk_image(deps_.state_dir, transfer.vm.id), archive, options, bytes);
  else
    workspace::pull_online(session_to(transfer, deps_.key, settings_, GuestHostKeys(deps_.state_dir).check_for(transfer.vm)).get(), archive, options, bytes);
  progress.report("done", 1.0);
}

}  // namespace banger
