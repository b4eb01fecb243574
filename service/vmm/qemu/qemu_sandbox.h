#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace banger {

// QEMU's seccomp sandbox, as every QEMU banger starts gets it:
// {"-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"};
// empty where this QEMU cannot have one. QEMU offers -sandbox only when its
// seccomp() probe answers at start-up, which a host's own syscall policy may
// refuse (found under systemd-nspawn: "There is no option group 'sandbox'");
// a VM must still start there, as its own uid without capabilities, and the
// journal says once per binary why it has no sandbox. Asked once per binary
// path (`qemu -sandbox on -version`).
std::vector<std::string> qemu_sandbox_args(const std::filesystem::path& qemu);

}  // namespace banger
