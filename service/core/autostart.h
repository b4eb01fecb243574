#pragma once
#include <filesystem>
#include <functional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "core/vm.h"

namespace banger {

// Autostart (issue 16): after a host boot, bangerd starts every VM with
// autostart once. "After a boot" is a boot id bangerd has not seen
// (core/boot_id.h), so a restart of bangerd within the same boot starts nothing
// and a VM the user stopped stays stopped until the next boot.

// Whether the pass after a boot starts `vm`: it has autostart and is down.
// Failed VMs too: a VM whose start was cut off by the shutdown is failed, and
// one that failed before the boot gets the fresh try a boot is; the pass tries
// each VM once per boot, so a VM that keeps failing cannot loop.
bool wants_autostart(const VmRecord& vm);

// Starts each VM of `vms` that wants_autostart, one after another (the host is
// busy booting; starts in parallel would only compete), logging each as an
// operation record (BANGER_OPERATION=vm.autostart). A failed start is logged
// and the pass goes on. Stops before the next VM once `stop` is requested.
// `start` is VmManager::start: under the VM's lock, so a VM the user started or
// deleted meanwhile is refused (and logged), never started twice.
// Returns how many VMs started.
int start_autostart_vms(const std::vector<VmRecord>& vms, const std::function<void(const std::string& id)>& start,
                        const std::stop_token& stop);

// The daemon's part, once start-up recovery is done and the bus name taken:
// reads the boot id from `boot_id_source`, records it in `boot_record` and, on a
// boot bangerd has not seen, runs start_autostart_vms in a thread of its own.
// The returned thread is joined when it goes out of scope (after the VM being
// started); an empty one when there is nothing to do. An unreadable boot id is
// logged and starts nothing.
std::jthread autostart_after_boot(const std::filesystem::path& boot_id_source, const std::filesystem::path& boot_record,
                                  std::vector<VmRecord> vms, std::function<void(const std::string& id)> start);

}  // namespace banger
