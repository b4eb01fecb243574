#include "core/autostart.h"

#include <chrono>

#include "core/boot_id.h"
#include "core/errors.h"
#include "core/log.h"

namespace banger {

// A suspended VM comes back from its saved state, as Start restores it (issue 19).
bool wants_autostart(const VmRecord& vm) {
  return vm.autostart && (vm.state == VmState::created || vm.state == VmState::stopped ||
                          vm.state == VmState::failed || vm.state == VmState::suspended);
}

namespace {

void log_result(const VmRecord& vm, std::chrono::steady_clock::duration took, const std::string& result,
                const std::string& detail) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(took).count();
  log::write(result == "ok" ? 6 : 4,
             fmt::format("vm.autostart {} after boot: {} in {} ms{}", vm.name, result, ms,
                         detail.empty() ? "" : ": " + detail),
             {{"BANGER_OPERATION", "vm.autostart"},
              {"BANGER_VM", vm.name},
              {"BANGER_VM_ID", vm.id},
              {"BANGER_DURATION_MS", std::to_string(ms)},
              {"BANGER_RESULT", result}});
}

}  // namespace

int start_autostart_vms(const std::vector<VmRecord>& vms, const std::function<void(const std::string& id)>& start,
                        const std::stop_token& stop) {
  int started = 0;
  for (const auto& vm : vms) {
    if (!wants_autostart(vm)) continue;
    if (stop.stop_requested()) {
      log::info("bangerd is stopping: the remaining autostart VMs are not started");
      break;
    }
    const auto began = std::chrono::steady_clock::now();
    try {
      start(vm.id);
      ++started;
      log_result(vm, std::chrono::steady_clock::now() - began, "ok", "");
    } catch (const Error& e) {
      log_result(vm, std::chrono::steady_clock::now() - began, std::string(to_string(e.kind())), e.what());
    } catch (const std::exception& e) {
      log_result(vm, std::chrono::steady_clock::now() - began, "internal", e.what());
    }
  }
  return started;
}

std::jthread autostart_after_boot(const std::filesystem::path& boot_id_source, const std::filesystem::path& boot_record,
                                  std::vector<VmRecord> vms, std::function<void(const std::string& id)> start) {
  bool new_boot = false;
  try {
    new_boot = note_boot(boot_record, read_boot_id(boot_id_source));
  } catch (const std::exception& e) {
    log::error("autostart: {}; no VM is started", e.what());
    return {};
  }
  if (!new_boot) return {};  // a restart within the boot: whatever the user did since stays
  std::size_t wanted = 0;
  for (const auto& vm : vms) wanted += wants_autostart(vm) ? 1 : 0;
  log::info("first start of bangerd since the host booted: {} autostart VM(s) to start", wanted);
  if (wanted == 0) return {};
  return std::jthread([vms = std::move(vms), start = std::move(start)](std::stop_token stop) {
    const int started = start_autostart_vms(vms, start, stop);
    log::info("autostart: {} VM(s) started", started);
  });
}

}  // namespace banger
