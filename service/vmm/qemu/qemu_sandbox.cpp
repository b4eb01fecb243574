#include "vmm/qemu/qemu_sandbox.h"

#include <map>
#include <mutex>

#include "core/log.h"
#include "doctor/command_output.h"

namespace banger {

namespace {

std::mutex answers_mutex;
std::map<std::filesystem::path, bool> answers;  // binary -> QEMU takes -sandbox

bool takes_sandbox(const std::filesystem::path& qemu) {
  {
    std::lock_guard lock(answers_mutex);
    if (auto it = answers.find(qemu); it != answers.end()) return it->second;
  }
  // -version ends QEMU once the options before it are parsed: an unknown
  // option group fails it first.
  const auto run = doctor::command_output({qemu.string(), "-sandbox", "on", "-version"}, std::chrono::seconds(10));
  const bool takes = run.problem.empty() && run.exit_code == 0;
  if (!run.problem.empty()) return false;  // not an answer (slow host): ask again next time
  if (!takes)
    log::warn("{} offers no seccomp sandbox here ({}): its VMs run without -sandbox, each still as its own uid "
              "without capabilities",
              qemu.string(), run.output.substr(0, run.output.find('\n')));
  std::lock_guard lock(answers_mutex);
  answers[qemu] = takes;
  return takes;
}

}  // namespace

std::vector<std::string> qemu_sandbox_args(const std::filesystem::path& qemu) {
  if (!takes_sandbox(qemu)) return {};
  return {"-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"};
}

}  // namespace banger
