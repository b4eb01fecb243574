#include "capabilities/ssh_access.h"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "capabilities/ssh_banner.h"
#include "capabilities/ssh_login.h"
#include "core/errors.h"
#include "core/log.h"

namespace banger {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr size_t console_lines = 10;
constexpr size_t console_max_chars = 2000;
// A guest that answered just before the deadline still gets this long (or the
// whole timeout, when shorter) to log in.
constexpr milliseconds min_login_time{5000};
constexpr milliseconds login_retry_delay{100};

std::string base64(const std::string& data) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  for (size_t i = 0; i < data.size(); i += 3) {
    const size_t n = std::min<size_t>(3, data.size() - i);
    std::uint32_t chunk = 0;
    for (size_t j = 0; j < 3; ++j)
      chunk = chunk << 8 | (j < n ? static_cast<unsigned char>(data[i + j]) : 0u);
    for (size_t j = 0; j < 4; ++j) out += j <= n ? alphabet[chunk >> (18 - 6 * j) & 0x3f] : '=';
  }
  return out;
}

std::string seconds(milliseconds d) { return fmt::format("{:g} s", static_cast<double>(d.count()) / 1000.0); }

// Console output is raw bytes with escape sequences; an error message is a
// D-Bus string, which must be valid UTF-8: keep printable ASCII and newlines,
// drop CSI sequences and CRs, and show anything else as '?'.
std::string printable(const std::string& raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    const auto c = static_cast<unsigned char>(raw[i]);
    if (c == 0x1b && i + 1 < raw.size() && raw[i + 1] == '[') {
      i += 2;
      while (i < raw.size() && !(raw[i] >= 0x40 && raw[i] <= 0x7e)) ++i;
    } else if (c == '\t') {
      out += ' ';
    } else if (c == '\n' || (c >= 0x20 && c < 0x7f)) {
      out += static_cast<char>(c);
    } else if (c != '\r') {
      out += '?';
    }
  }
  return out;
}

std::string last_lines(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  size_t cut = text.size();
  for (size_t i = 0; i < console_lines && cut != std::string::npos; ++i)
    cut = cut == 0 ? std::string::npos : text.rfind('\n', cut - 1);
  if (cut != std::string::npos) text.erase(0, cut + 1);
  if (text.size() > console_max_chars) text.erase(0, text.size() - console_max_chars);
  return text;
}

}  // namespace

SshAccess::SshAccess(VmAttachments& attachments, SshKeyPair key, GuestHostKeys host_keys, ConsoleTail console_tail,
                     SshAccessSettings settings, VmmRunning vmm_running)
    : attachments_(attachments),
      key_(std::move(key)),
      host_keys_(std::move(host_keys)),
      console_tail_(std::move(console_tail)),
      settings_(settings),
      vmm_running_(std::move(vmm_running)) {}

void SshAccess::contribute_guest(const VmRecord& vm, GuestConfig& guest) {
  if (attachments_.attachment_of(vm)) guest.values["ssh_key"] = base64(key_.public_key());
}

void SshAccess::post_start(const VmRecord& vm) {
  const auto attachment = attachments_.attachment_of(vm);
  if (!attachment) return;
  const auto started = Clock::now();
  const auto deadline = started + settings_.timeout;
  std::function<bool()> vmm_stopped;
  if (vmm_running_) vmm_stopped = [&] { return !vmm_running_(vm.id); };
  const auto wait = wait_for_ssh_banner(attachment->address, settings_.port, deadline, vmm_stopped);
  if (wait.given_up)
    throw Error(ErrorKind::backend_failed,
                fmt::format("VM '{}': the VM stopped running before its SSH server answered at {}:{} (after {}).{}",
                            vm.name, attachment->address, settings_.port,
                            seconds(std::chrono::duration_cast<milliseconds>(Clock::now() - started)),
                            console_excerpt(vm)));
  if (!wait.answered)
    throw Error(ErrorKind::backend_failed,
                fmt::format("VM '{}': the guest's SSH server did not answer at {}:{} within {} (last attempt: {}).{}",
                            vm.name, attachment->address, settings_.port, seconds(settings_.timeout),
                            wait.last_failure, console_excerpt(vm)));
  log::info("VM '{}': {}:{} answered with {} after {} ms", vm.name, attachment->address, settings_.port, wait.banner,
            std::chrono::duration_cast<milliseconds>(Clock::now() - started).count());
  if (settings_.verify_login)
    log_in(vm, attachment->address, std::max(deadline, Clock::now() + std::min(min_login_time, settings_.timeout)));
}

void SshAccess::log_in(const VmRecord& vm, const std::string& address, Clock::time_point deadline) {
  const auto host = host_keys_.check_for(vm);
  for (;;) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    const auto login = try_ssh_login(address, settings_.port, "root", key_, host, left);
    if (login.outcome == SshLoginOutcome::accepted) return;
    if (login.outcome == SshLoginOutcome::wrong_host_key)
      throw Error(ErrorKind::backend_failed, fmt::format("VM '{}': {}", vm.name, login.detail));
    if (login.outcome == SshLoginOutcome::denied)
      throw Error(ErrorKind::backend_failed,
                  fmt::format("VM '{}': the guest's SSH server at {}:{} refused the daemon's key {} for root ({}): "
                              "does the image's init put the banger.ssh_key kernel argument into "
                              "/root/.ssh/authorized_keys?{}",
                              vm.name, address, settings_.port, key_.fingerprint(), login.detail, console_excerpt(vm)));
    if (Clock::now() + login_retry_delay >= deadline)
      throw Error(ErrorKind::backend_failed,
                  fmt::format("VM '{}': the guest's SSH server at {}:{} answered, but logging in as root with the "
                              "daemon's key did not succeed in time: {}.{}",
                              vm.name, address, settings_.port, login.detail, console_excerpt(vm)));
    std::this_thread::sleep_for(login_retry_delay);
  }
}

std::string SshAccess::console_excerpt(const VmRecord& vm) const {
  // The guest's lines go to bangerd's log only: this error becomes LastError and the
  // StateChanged reason, which every local user reads, while the console itself is for
  // those allowed ReadConsole (issue 17, finding 9). The error says where to look.
  std::string tail;
  try {
    tail = last_lines(printable(console_tail_(vm.id)));
  } catch (const std::exception& e) {
    return fmt::format("\nThe console cannot be read: {}", printable(e.what()));  // bangerd's words, not the guest's
  }
  if (tail.empty()) return "\nThe console is empty.";
  log::write(4, fmt::format("VM '{}': the console's last lines:\n{}", vm.name, tail), {{"BANGER_VM", vm.name}});
  return fmt::format("\nThe console's last lines are in bangerd's log; the whole console log: bangerctl logs {}",
                     vm.name);
}

void SshAccess::add_doctor_checks(std::vector<DoctorCheck>& checks) {
  const std::string path = key_.private_key_file().string();
  try {
    key_.check_file();
    checks.push_back({"ssh-key", "ok", fmt::format("the daemon's SSH key {}", key_.fingerprint()), path, ""});
  } catch (const Error& e) {
    checks.push_back({"ssh-key", "fail", e.what(), path,
                      fmt::format("restart bangerd; if the file is corrupt, move {} and its .pub away first: bangerd "
                                  "then makes a new key, which VMs get at their next start",
                                  path)});
  }
}

}  // namespace banger
