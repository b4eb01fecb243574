#include "capabilities/authorized_keys_guest.h"

#include <fmt/format.h>

#include "capabilities/ssh_login.h"
#include "core/errors.h"
#include "workspace/guest_command.h"

namespace banger {

using workspace::shell_quoted;

namespace {

// " <blob>": key data follows its type after a blank, so this matches the key
// and not a comment that merely starts like it.
std::string blob_pattern(const std::string& blob) { return shell_quoted(" " + blob); }

}  // namespace

std::string install_keys_script(const std::vector<SshPublicKey>& keys, const std::filesystem::path& file) {
  std::string script = fmt::format(
      "set -e; umask 077; F={}; mkdir -p \"$(dirname \"$F\")\"; touch \"$F\"; "
      // A last line without its newline would swallow the first appended key.
      "if [ -s \"$F\" ] && [ -n \"$(tail -c 1 \"$F\")\" ]; then echo >> \"$F\"; fi; ",
      shell_quoted(file.string()));
  for (const auto& key : keys)
    script += fmt::format("grep -qF -e {} \"$F\" || printf '%s\\n' {} >> \"$F\"; ", blob_pattern(key.blob),
                          shell_quoted(key.line()));
  script += "chmod 600 \"$F\"; chmod 700 \"$(dirname \"$F\")\"";
  return script;
}

std::string remove_keys_script(const std::vector<std::string>& blobs, const std::filesystem::path& file) {
  std::string patterns;
  for (const auto& blob : blobs) patterns += " -e " + blob_pattern(blob);
  // grep -v ends with 1 when no line is left: not a failure here.
  return fmt::format(
      "set -e; umask 077; F={0}; [ -f \"$F\" ] || exit 0; "
      "{{ grep -vF{1} \"$F\" || [ $? -eq 1 ]; }} > \"$F.banger-new\"; mv -f \"$F.banger-new\" \"$F\"",
      shell_quoted(file.string()), patterns);
}

SshGuestShell::SshGuestShell(SshKeyPair key, GuestHostKeys host_keys, std::chrono::milliseconds timeout,
                             std::uint16_t port)
    : key_(std::move(key)), host_keys_(std::move(host_keys)), timeout_(timeout), port_(port) {}

void SshGuestShell::run(const VmRecord& vm, const std::string& address, const std::string& script) {
  const std::string& vm_name = vm.name;
  SshLogin login;
  auto session = open_ssh_session(address, port_, "root", key_, host_keys_.check_for(vm), timeout_, login);
  if (!session)
    throw Error(ErrorKind::backend_failed, fmt::format("cannot log in to VM '{}' over SSH: {}", vm_name, login.detail));
  workspace::GuestCommand command(session.get(), script);
  if (const int status = command.finish(); status != 0)
    throw Error(ErrorKind::backend_failed, fmt::format("changing the keys in VM '{}' failed (exit status {}): {}",
                                                       vm_name, status, command.errors()));
}

}  // namespace banger
