#include "capabilities/tap_device.h"
#include "core/fault_points.h"

#include <unistd.h>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/log.h"
#include "core/ipv4.h"
#include "net/taps.h"

namespace banger {

namespace {

TapGuard guard_for(const VmRecord& vm, const VmAttachment& attachment) {
  return {net::tap_name_for(vm.id), net::mac_for(vm.id), attachment.address,
          attachment.network.name == default_network_name};
}

}  // namespace

void TapDevice::prepare_host(const VmRecord& vm) {
  auto attachment = attachments_.attachment_of(vm);
  if (!attachment) return;
  taps_.create(net::tap_name_for(vm.id), owner_(vm), attachment->network.bridge);
  // A banger tap without its guard passes nothing, so there is no unguarded moment.
  if (guards_) guards_->guard(guard_for(vm, *attachment));
  BANGER_FAULT_POINT("start.tap-made");
}

void TapDevice::guard_only(const std::vector<VmRecord>& running) noexcept {
  if (!guards_) return;
  try {
    std::vector<TapGuard> guards;
    for (const auto& vm : running)
      if (auto attachment = attachments_.attachment_of(vm)) guards.push_back(guard_for(vm, *attachment));
    guards_->guard_only(guards);
  } catch (const std::exception& e) {
    log::warn("could not restore the guards of running VMs' taps (their guests get nothing through): {}", e.what());
  }
}

void TapDevice::contribute_guest(const VmRecord& vm, GuestConfig& guest) {
  auto attachment = attachments_.attachment_of(vm);
  if (!attachment) return;
  const auto subnet = net::parse_cidr(attachment->network.subnet);
  if (!subnet)
    throw Error(ErrorKind::internal, fmt::format("network '{}' has a malformed subnet '{}'", attachment->network.name,
                                                 attachment->network.subnet));
  guest.values["ip"] = fmt::format("{}/{}", attachment->address, int{subnet->prefix});
  guest.values["gw"] = attachment->network.gateway;
  guest.values["dns"] = attachment->network.gateway;
}

void TapDevice::contribute_machine(const VmRecord& vm, MachineConfig& machine) {
  if (!attachments_.attachment_of(vm)) return;
  machine.interfaces.push_back({"eth0", net::tap_name_for(vm.id), net::mac_for(vm.id)});
}

void TapDevice::cleanup(const VmRecord& vm, CleanupReason reason) noexcept {
  if (reason == CleanupReason::create_failed) return;  // taps exist only while a VM runs
  try {
    taps_.remove(net::tap_name_for(vm.id));
  } catch (const std::exception& e) {
    log::warn("VM '{}': could not delete its tap: {}", vm.name, e.what());
  }
  try {
    if (guards_) guards_->unguard(net::tap_name_for(vm.id));
  } catch (const std::exception& e) {
    log::warn("VM '{}': could not drop its tap's guard: {}", vm.name, e.what());
  }
}

int TapDevice::remove_strays(const std::set<std::string>& keep) noexcept {
  int removed = 0;
  try {
    for (const auto& tap : taps_.list()) {
      if (keep.contains(tap)) continue;
      try {
        taps_.remove(tap);
        ++removed;
      } catch (const std::exception& e) {
        log::warn("could not delete stray tap {}: {}", tap, e.what());
      }
    }
  } catch (const std::exception& e) {
    log::warn("could not list taps to recover: {}", e.what());
  }
  return removed;
}

void TapDevice::add_doctor_checks(std::vector<DoctorCheck>& checks) {
  if (access("/dev/net/tun", R_OK | W_OK) == 0)
    checks.push_back({"tun", "ok", "/dev/net/tun is usable", "", ""});
  else
    checks.push_back({"tun", "fail", "/dev/net/tun cannot be opened", "VMs get their network through tap devices",
                      "load the tun module (modprobe tun) and give bangerd access to /dev/net/tun"});
}

}  // namespace banger
