#include "doctor/vmm_binaries.h"

#include <unistd.h>

#include <fmt/format.h>

#include "doctor/command_output.h"

namespace banger::doctor {

namespace {

constexpr std::chrono::milliseconds version_timeout{2000};

std::string first_line(const std::string& text) {
  const auto start = text.find_first_not_of(" \t\r\n");
  if (start == std::string::npos) return {};
  return text.substr(start, text.find('\n', start) - start);
}

}  // namespace

DoctorCheck version_check(const std::string& name, const std::filesystem::path& binary,
                          const std::string& missing_status) {
  const std::string check = name + "-version";
  if (access(binary.c_str(), X_OK) != 0)
    return {check, missing_status, fmt::format("{} is not installed", name),
            fmt::format("{} is not an executable", binary.string()),
            fmt::format("install {} or set its path in the [vmm] table of bangerd.toml", name)};
  const auto run = command_output({binary.string(), "--version"}, version_timeout);
  const auto version = first_line(run.output);
  if (!run.problem.empty() || run.exit_code != 0 || version.empty())
    return {check, "fail", fmt::format("{} does not answer --version", binary.string()),
            run.problem.empty() ? fmt::format("exit status {}: {}", run.exit_code, version) : run.problem,
            fmt::format("reinstall {}, or point the [vmm] table of bangerd.toml at a working one", name)};
  return {check, "ok", version, binary.string(), ""};
}

DoctorCheck jailer_check(const std::filesystem::path& jailer) {
  if (jailer.empty()) return {"jailer-version", "ok", "no jailer configured: firecracker runs unjailed", "", ""};
  return version_check("jailer", jailer, "fail");
}

}  // namespace banger::doctor
