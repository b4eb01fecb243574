// bangerctl ssh VM [-- CMD…]
// bangerctl exec VM -- CMD…
// Both log in as the guest's root with the user's own key (sent to the VM with
// AddAuthorizedKeys when it is not there yet) by running the system's ssh;
// bangerd's key never leaves the daemon.
#include "app.h"
#include "user_ssh_keys.h"
#include "wake.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>

namespace bangerctl {

namespace {

using banger::client::Error;
using banger::client::ErrorCode;

struct SshArgs {
  std::string ref;
  std::vector<std::string> command;
};

// The user's key the VM already holds, else the first one, given to the VM now.
UserSshKey key_for(banger::client::Client& client, const banger::client::VmInfo& vm) {
  const auto ssh_dir = home_dir() / ".ssh";
  const auto keys = user_ssh_keys(ssh_dir);
  if (keys.empty())
    throw Error(ErrorCode::failed, "",
                "no SSH key of yours in " + ssh_dir.string() +
                    " (a private key with its .pub beside it); make one with: ssh-keygen -t ed25519");
  const auto held = client.authorized_keys(vm.id);
  for (const auto& key : keys)
    if (std::any_of(held.begin(), held.end(), [&](const auto& h) { return h.fingerprint == key.fingerprint; }))
      return key;
  client.add_authorized_keys(vm.id, {keys.front().public_line});
  std::cerr << "bangerctl: gave VM '" << vm.name << "' your key " << keys.front().fingerprint << " ("
            << keys.front().private_key.string() << ".pub)\n";
  return keys.front();
}

[[noreturn]] void run_ssh(const Globals& g, const SshArgs& args, bool batch) {
  auto client = connect(g);
  const auto vm = awake(client, client.get_vm(args.ref));
  if (vm.state != "running")
    throw Error(ErrorCode::invalid_state, "", "VM '" + vm.name + "' is " + vm.state + ", not running");
  if (vm.ipv4_address.empty())
    throw Error(ErrorCode::invalid_state, "", "VM '" + vm.name + "' has no network address to log in to");
  const auto key = key_for(client, vm);

  std::vector<std::string> argv{"ssh",
                                "-i", key.private_key.string(),
                                "-o", "IdentitiesOnly=yes",
                                // Addresses are reused after a delete, and clones make new host keys:
                                // the VM's id names its host key, in a file of banger's own.
                                "-o", "HostKeyAlias=banger-" + vm.id,
                                "-o", "UserKnownHostsFile=" + banger_known_hosts().string(),
                                "-o", "StrictHostKeyChecking=accept-new",
                                "-o", "LogLevel=ERROR",
                                "-l", "root"};
  if (batch) argv.insert(argv.end(), {"-T", "-o", "BatchMode=yes"});
  // A session bangerd does not see: its keepalives are the tap traffic that keeps an
  // idle-sleeping VM awake while it lasts (twice per idle period, at least every 30 s).
  if (vm.idle_suspend_s > 0)
    argv.insert(argv.end(), {"-o", "ServerAliveInterval=" + std::to_string(std::clamp(vm.idle_suspend_s / 2, 1u, 30u))});
  argv.push_back(vm.ipv4_address);
  if (!args.command.empty()) argv.push_back(remote_command(args.command));

  std::vector<char*> c_argv;
  for (auto& word : argv) c_argv.push_back(word.data());
  c_argv.push_back(nullptr);
  std::cout.flush();
  execvp("ssh", c_argv.data());
  throw std::runtime_error(std::string("cannot run ssh: ") + std::strerror(errno) +
                           " (install openssh-client)");
}

}  // namespace

void add_ssh_commands(Context& ctx) {
  auto ssh_args = std::make_shared<SshArgs>();
  auto* ssh = ctx.app.add_subcommand(
      "ssh", "Log in to a running VM as root with your own SSH key (given to the VM when it lacks it)");
  ssh->add_option("VM", ssh_args->ref, ref_help)->required();
  ssh->add_option("CMD", ssh_args->command, "A command to run instead of a shell (after --)");
  select_with(ctx, ssh, &ssh_args->ref, [ssh_args, &g = ctx.globals] { run_ssh(g, *ssh_args, false); });

  auto exec_args = std::make_shared<SshArgs>();
  auto* exec = ctx.app.add_subcommand(
      "exec", "Run a command in a running VM over SSH (no terminal); exits with the command's exit status");
  exec->add_option("VM", exec_args->ref, ref_help)->required();
  exec->add_option("CMD", exec_args->command, "The command and its arguments (after --)")->required();
  select_with(ctx, exec, &exec_args->ref, [exec_args, &g = ctx.globals] { run_ssh(g, *exec_args, true); });
}

}  // namespace bangerctl
