#include "disks/guest_identity.h"

#include <string>

#include "disks/sandbox.h"

namespace banger::disks {

void forget_ssh_host_keys(const std::filesystem::path& root_disk) {
  // debugfs, so the disk is edited offline without mounting it; a file that
  // is not there is reported by debugfs but not an error.
  std::string commands;
  for (const char* key : {"dropbear_rsa_host_key", "dropbear_ecdsa_host_key", "dropbear_ed25519_host_key"})
    commands += std::string("rm /etc/dropbear/") + key + "\n";
  for (const char* key : {"rsa", "ecdsa", "ed25519"}) {
    commands += std::string("rm /etc/ssh/ssh_host_") + key + "_key\n";
    commands += std::string("rm /etc/ssh/ssh_host_") + key + "_key.pub\n";
  }
  std::string line;
  for (char c : commands) {
    if (c != '\n') {
      line += c;
      continue;
    }
    // The root disk is the guest's: debugfs parses it in the sandbox (disks/sandbox.h).
    run_tool_on_image({"debugfs", "-w", "-R", line, "{image}"}, root_disk);
    line.clear();
  }
}

}  // namespace banger::disks
