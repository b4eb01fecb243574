#include "core/wake_on_connect.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include "core/ipv4.h"
#include "core/log.h"

namespace banger {

namespace {

std::optional<WakeEntry> entry_for(const VmRecord& vm, VmAttachments& attachments, ForwardStore& forwards) {
  if (vm.state != VmState::suspended || vm.idle_suspend_s == 0) return std::nullopt;
  auto attachment = attachments.attachment_of(vm);
  if (!attachment) return std::nullopt;  // no network: only bangerctl wakes it
  WakeEntry entry{attachment->address, {}};
  for (const auto& f : forwards.list_forwards(vm.id))
    if (f.protocol == "tcp") entry.host_ports.push_back(f.host_port);
  std::sort(entry.host_ports.begin(), entry.host_ports.end());
  return entry;
}

}  // namespace

void WakeOnConnect::load(const std::vector<VmRecord>& vms) {
  std::lock_guard guard(mutex_);
  entries_.clear();
  for (const auto& vm : vms) {
    try {
      if (auto entry = entry_for(vm, deps_.attachments, deps_.forwards)) entries_[vm.id] = std::move(*entry);
    } catch (const std::exception& e) {
      log::warn("VM '{}': no wake-on-connect: {}", vm.name, e.what());
    }
  }
  apply_locked();
}

void WakeOnConnect::follow(const VmRecord& vm) {
  std::optional<WakeEntry> entry;
  try {
    entry = entry_for(vm, deps_.attachments, deps_.forwards);
  } catch (const std::exception& e) {
    log::warn("VM '{}': no wake-on-connect: {}", vm.name, e.what());
  }
  std::lock_guard guard(mutex_);
  auto found = entries_.find(vm.id);
  if (!entry && found == entries_.end()) return;
  if (entry && found != entries_.end() && found->second == *entry) return;
  if (entry)
    entries_[vm.id] = std::move(*entry);
  else
    entries_.erase(found);
  apply_locked();
}

void WakeOnConnect::vm_removed(const VmRecord& vm) {
  std::lock_guard guard(mutex_);
  if (entries_.erase(vm.id) > 0) apply_locked();
}

void WakeOnConnect::apply_locked() {
  std::vector<WakeEntry> all;
  for (const auto& [id, entry] : entries_) all.push_back(entry);
  try {
    deps_.rules.set(all);
  } catch (const std::exception& e) {
    // The suspended VMs stay where they are; only a connection no longer wakes them.
    log::error("wake-on-connect: cannot apply its rules for {} suspended VMs: {}", all.size(), e.what());
  }
}

std::string WakeOnConnect::vm_for_locked(std::uint32_t address, std::uint16_t port) const {
  const std::string text = net::to_string_ipv4(net::Ipv4{address});
  for (const auto& [id, entry] : entries_)
    if (entry.address == text) return id;
  for (const auto& [id, entry] : entries_)
    if (std::binary_search(entry.host_ports.begin(), entry.host_ports.end(), port)) return id;
  return {};
}

void WakeOnConnect::connection(std::uint32_t packet_id, std::uint32_t address, std::uint16_t port) noexcept {
  std::string vm_id;
  bool first = false;
  {
    std::lock_guard guard(mutex_);
    vm_id = vm_for_locked(address, port);
    if (!vm_id.empty()) {
      auto& held = waking_[vm_id];
      first = held.empty();
      held.push_back(packet_id);
    }
  }
  // None of the suspended VMs (it woke meanwhile, or a stale rule): let it go on its way.
  if (vm_id.empty()) return deps_.held.release(packet_id);
  if (!first) return;  // its VM is being started already; let go with the others
  try {
    deps_.run([this, vm_id] { wake(vm_id); });
  } catch (const std::exception& e) {
    log::warn("wake-on-connect: cannot start VM {}: {}", vm_id, e.what());
    wake(vm_id);  // on this thread, rather than hold the packets for ever
  }
}

void WakeOnConnect::wake(const std::string& vm_id) {
  const auto begun = std::chrono::steady_clock::now();
  try {
    deps_.start(vm_id);
    log::info("VM {}: started by a TCP connection (wake-on-connect) in {} ms", vm_id,
              std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - begun).count());
  } catch (const std::exception& e) {
    // The client sees its connection refused or time out, as without the rule.
    log::warn("VM {}: a TCP connection could not wake it: {}", vm_id, e.what());
  }
  std::vector<std::uint32_t> held;
  {
    std::lock_guard guard(mutex_);
    held = std::move(waking_[vm_id]);
    waking_.erase(vm_id);
  }
  for (auto id : held) deps_.held.release(id);
}

}  // namespace banger
