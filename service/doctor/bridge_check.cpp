#include "doctor/bridge_check.h"

#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <exception>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "net/links.h"

namespace banger::doctor {

namespace fs = std::filesystem;

namespace {

// A bridge link has a "bridge" directory of its bridge options in sysfs.
std::optional<std::string> first_bridge(const fs::path& sys_class_net) {
  std::error_code ec;
  for (const auto& link : fs::directory_iterator(sys_class_net, ec))
    if (fs::is_directory(link.path() / "bridge", ec)) return link.path().filename().string();
  return std::nullopt;
}

// Runs `work` on a thread of its own that has moved into a new network
// namespace: a thread's namespace is its own, and the namespace vanishes with
// the thread. False, without running `work`, when the kernel refuses the
// namespace: bangerd's unit has RestrictNamespaces=mnt (EPERM), a kernel may
// lack CONFIG_NET_NS (EINVAL) or be at its limit of namespaces (ENOSPC).
bool run_in_scratch_netns(const std::function<void()>& work) {
  bool unshared = false;
  std::exception_ptr failure;
  std::thread([&] {
    if (::unshare(CLONE_NEWNET) != 0) return;
    unshared = true;
    try {
      work();
    } catch (...) {
      failure = std::current_exception();
    }
  }).join();
  if (failure) std::rethrow_exception(failure);
  return unshared;
}

// Unique per call (two Doctor calls may run at once) and within IFNAMSIZ:
// "bgprobe" and at most 8 hex digits of a 22-bit pid and an 8-bit counter.
std::string host_scratch_bridge_name() {
  static std::atomic<unsigned> calls{0};
  const unsigned id = (static_cast<unsigned>(::getpid()) << 8) | (calls++ & 0xffu);
  return fmt::format("bgprobe{:x}", id);
}

}  // namespace

DoctorCheck bridge_check(const fs::path& sys_class_net, const std::function<std::string()>& make_scratch_bridge) {
  if (auto bridge = first_bridge(sys_class_net))
    return {"bridge", "ok", "the kernel has Linux bridges",
            fmt::format("bridge {} exists ({})", *bridge, (sys_class_net / *bridge / "bridge").string()), ""};
  try {
    return {"bridge", "ok", "the kernel makes Linux bridges", make_scratch_bridge(), ""};
  } catch (const std::exception& e) {
    return {"bridge", "fail", "the kernel makes no Linux bridge: networks cannot be made", e.what(),
            "install the kernel's modules (linux-image-*) or build the kernel with CONFIG_BRIDGE"};
  }
}

void make_and_delete_bridge(const std::string& name) {
  net::add_bridge(name);
  net::delete_link(name);
}

std::string make_scratch_bridge() {
  const std::string scratch = "bgprobe0";
  if (run_in_scratch_netns([&] { make_and_delete_bridge(scratch); }))
    return fmt::format("made and deleted bridge {} in a scratch network namespace", scratch);
  const std::string name = host_scratch_bridge_name();
  make_and_delete_bridge(name);
  return fmt::format("made and deleted bridge {} (no scratch network namespace allowed)", name);
}

}  // namespace banger::doctor
