#include "capabilities/port_forwards.h"

#include <algorithm>

#include "core/errors.h"
#include "core/log.h"

namespace banger {

namespace {

std::string port_text(const std::string& protocol, std::uint16_t port) {
  return fmt::format("{}/{}", port, protocol);
}

}  // namespace

std::vector<PortForward> PortForwards::add(const VmRecord& vm, const std::string& protocol, std::uint16_t host_port,
                                           std::uint16_t guest_port) {
  validate_forward(protocol, host_port, guest_port);
  if (!deps_.attachments.attachment_of(vm))
    throw Error(ErrorKind::invalid_args, fmt::format("VM '{}' has no network address to forward to", vm.name));
  std::lock_guard lock(mutex_);
  check_limits(vm);
  const PortForward forward{protocol, host_port, guest_port, false};
  deps_.store.insert_forward(vm.id, forward);  // Error(exists) naming the VM holding the port
  try {
    // Probed even for a stopped VM, so a taken port is refused now rather than skipped at start.
    UniqueFd held = deps_.reserve_port(protocol, host_port);
    if (running_.contains(vm.id)) {
      held_[{protocol, host_port}] = std::move(held);
      apply_rules();
    }
  } catch (...) {
    held_.erase({protocol, host_port});
    deps_.store.delete_forward(vm.id, protocol, host_port);
    throw;
  }
  log::info("VM '{}': forwarding host port {} to guest port {}", vm.name, port_text(protocol, host_port), guest_port);
  publish(vm.id);
  return deps_.store.list_forwards(vm.id);
}

std::vector<PortForward> PortForwards::remove(const VmRecord& vm, const std::string& protocol,
                                              std::uint16_t host_port) {
  validate_forward_protocol(protocol);
  std::lock_guard lock(mutex_);
  if (!deps_.store.delete_forward(vm.id, protocol, host_port))
    throw Error(ErrorKind::invalid_args,
                fmt::format("VM '{}' has no forward of host port {}", vm.name, port_text(protocol, host_port)));
  if (held_.erase({protocol, host_port}) > 0) apply_rules();
  log::info("VM '{}': host port {} no longer forwarded", vm.name, port_text(protocol, host_port));
  publish(vm.id);
  return deps_.store.list_forwards(vm.id);
}

std::vector<PortForward> PortForwards::list(const std::string& vm_id) { return deps_.store.list_forwards(vm_id); }

void PortForwards::restore(const std::vector<VmRecord>& vms) {
  std::lock_guard lock(mutex_);
  for (const auto& vm : vms) {
    if (!holds_vmm_resources(vm.state)) {
      drop_automatic(vm.id);
      continue;
    }
    if (auto attachment = deps_.attachments.attachment_of(vm)) activate(vm, *attachment);
  }
  try {
    apply_rules();
  } catch (const std::exception& e) {
    log::error("cannot restore the port forwards' rules: {}", e.what());
  }
}

void PortForwards::publish_all(const std::vector<VmRecord>& vms) {
  std::lock_guard lock(mutex_);
  for (const auto& vm : vms) publish(vm.id);
}

void PortForwards::post_start(const VmRecord& vm) {
  auto attachment = deps_.attachments.attachment_of(vm);
  if (!attachment) return;
  std::lock_guard lock(mutex_);
  activate(vm, *attachment);
  // A failed rule update leaves the VM running, only unreachable through its forwards: say so, do not fail the start.
  try {
    apply_rules();
  } catch (const std::exception& e) {
    log::error("VM '{}': cannot apply its port forwards: {}", vm.name, e.what());
  }
}

void PortForwards::cleanup(const VmRecord& vm, CleanupReason reason) noexcept {
  try {
    std::lock_guard lock(mutex_);
    const bool was_running = running_.erase(vm.id) > 0;
    // A suspended guest comes back listening where it did: its automatic forwards stay
    // (their rows keep the host ports its own among banger's VMs).
    const bool dropped = reason != CleanupReason::deleted && reason != CleanupReason::suspended && drop_automatic(vm.id);
    bool released = false;
    for (const auto& forward : deps_.store.list_forwards(vm.id))
      released = held_.erase({forward.protocol, forward.host_port}) > 0 || released;
    if (was_running || released) apply_rules();
    if (dropped) publish(vm.id);
  } catch (const std::exception& e) {
    log::error("VM '{}': cannot remove its port forwards' rules: {}", vm.name, e.what());
  }
}

void PortForwards::apply_config_change(const VmRecord& before, const VmRecord& after) {
  std::lock_guard lock(mutex_);
  auto it = running_.find(after.id);
  if (it == running_.end()) return;
  it->second.vm = after;
  if (before.forward_ports == after.forward_ports) return;
  if (sync_automatic(it->second)) {
    apply_rules();
    publish(after.id);
  }
}

void PortForwards::guest_ports_changed(const std::string& vm_id, const std::vector<GuestPort>& ports) {
  std::lock_guard lock(mutex_);
  auto it = running_.find(vm_id);
  if (it == running_.end()) return;
  it->second.guest_ports = ports;
  try {
    if (sync_automatic(it->second)) {
      apply_rules();
      publish(vm_id);
    }
  } catch (const std::exception& e) {
    log::error("VM '{}': cannot update its automatic port forwards: {}", it->second.vm.name, e.what());
  }
}

void PortForwards::check_limits(const VmRecord& vm) {
  const auto& limits = deps_.limits;
  const std::size_t of_vm = deps_.store.list_forwards(vm.id).size();
  if (of_vm >= limits.per_vm)
    throw Error(ErrorKind::resource_exhausted,
                fmt::format("VM '{}' has {} port forwards, as many as a VM may have", vm.name, of_vm));
  std::size_t of_owner = of_vm;
  if (deps_.vms_owned_by) {
    of_owner = 0;
    for (const auto& id : deps_.vms_owned_by(vm.owner_uid)) of_owner += deps_.store.list_forwards(id).size();
  }
  if (of_owner >= limits.per_owner)
    throw Error(ErrorKind::resource_exhausted,
                fmt::format("the VMs of uid {} have {} port forwards, as many as one owner may have", vm.owner_uid,
                            of_owner));
}

void PortForwards::activate(const VmRecord& vm, const VmAttachment& attachment) {
  running_[vm.id] = Running{vm, attachment.address, attachment.network.bridge, {}, {}};
  for (const auto& forward : deps_.store.list_forwards(vm.id)) hold(vm.name, forward);
}

void PortForwards::hold(const std::string& vm_name, const PortForward& forward) {
  const PortKey key{forward.protocol, forward.host_port};
  if (held_.contains(key)) return;
  try {
    held_[key] = deps_.reserve_port(forward.protocol, forward.host_port);
  } catch (const std::exception& e) {
    log::warn("VM '{}': forward {} stays inactive: {}", vm_name, describe(forward), e.what());
  }
}

bool PortForwards::sync_automatic(Running& running) {
  const std::string& id = running.vm.id;
  std::set<PortKey> wanted;
  if (running.vm.forward_ports)
    for (const auto& port : running.guest_ports) wanted.insert({port.protocol, port.port});
  std::erase_if(running.skip_logged, [&](const PortKey& key) { return !wanted.contains(key); });

  bool changed = false;
  auto forwards = deps_.store.list_forwards(id);
  for (const auto& forward : forwards) {
    if (!forward.automatic || wanted.contains({forward.protocol, forward.guest_port})) continue;
    deps_.store.delete_forward(id, forward.protocol, forward.host_port);
    held_.erase({forward.protocol, forward.host_port});
    changed = true;
  }
  for (const auto& [protocol, port] : wanted) {
    const bool forwarded = std::any_of(forwards.begin(), forwards.end(), [&](const PortForward& f) {
      return f.protocol == protocol && f.guest_port == port;
    });
    if (forwarded) continue;
    try {
      if (port < min_forward_host_port)
        throw Error(ErrorKind::invalid_args, fmt::format("host ports below {} are never forwarded", min_forward_host_port));
      check_limits(running.vm);
      deps_.store.insert_forward(id, {protocol, port, port, true});
      try {
        held_[{protocol, port}] = deps_.reserve_port(protocol, port);
      } catch (...) {
        held_.erase({protocol, port});
        deps_.store.delete_forward(id, protocol, port);
        throw;
      }
      log::info("VM '{}': forwarding host port {} to the guest automatically", running.vm.name,
                port_text(protocol, port));
      changed = true;
    } catch (const std::exception& e) {
      if (running.skip_logged.insert({protocol, port}).second)
        log::info("VM '{}': guest port {} not forwarded automatically: {}", running.vm.name, port_text(protocol, port),
                  e.what());
    }
  }
  return changed;
}

bool PortForwards::drop_automatic(const std::string& vm_id) {
  bool dropped = false;
  for (const auto& forward : deps_.store.list_forwards(vm_id)) {
    if (!forward.automatic) continue;
    deps_.store.delete_forward(vm_id, forward.protocol, forward.host_port);
    held_.erase({forward.protocol, forward.host_port});
    dropped = true;
  }
  return dropped;
}

void PortForwards::apply_rules() {
  std::vector<ForwardRule> rules;
  for (const auto& [vm_id, forward] : deps_.store.list_all_forwards()) {
    auto it = running_.find(vm_id);
    if (it == running_.end() || !held_.contains({forward.protocol, forward.host_port})) continue;
    rules.push_back({forward.protocol, forward.host_port, it->second.address, forward.guest_port, it->second.bridge});
  }
  deps_.apply_rules(rules);
}

void PortForwards::publish(const std::string& vm_id) {
  deps_.events.forwards_changed(vm_id, deps_.store.list_forwards(vm_id));
}

}  // namespace banger
