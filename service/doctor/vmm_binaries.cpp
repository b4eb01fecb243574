#include "doctor/vmm_binaries.h"

#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <tuple>

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

// What `--version` said, per binary as it is on disk: Doctor needs no
// authorization, so without this any local user calling it in a loop would
// keep bangerd forking. A binary replaced (upgraded) is asked again.
struct BinaryIdentity {
  dev_t dev;
  ino_t ino;
  off_t size;
  std::int64_t mtime_ns;
  std::int64_t ctime_ns;
  auto operator<=>(const BinaryIdentity&) const = default;
};

std::optional<BinaryIdentity> identity_of(const std::filesystem::path& binary) {
  struct stat st {};
  if (::stat(binary.c_str(), &st) != 0) return std::nullopt;
  return BinaryIdentity{st.st_dev, st.st_ino, st.st_size,
                        st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec,
                        st.st_ctim.tv_sec * 1'000'000'000LL + st.st_ctim.tv_nsec};
}

std::mutex answers_mutex;
std::map<std::pair<std::string, BinaryIdentity>, CommandOutput> answers;

CommandOutput version_output(const std::filesystem::path& binary) {
  const auto identity = identity_of(binary);
  if (identity) {
    std::lock_guard lock(answers_mutex);
    if (auto it = answers.find({binary.string(), *identity}); it != answers.end()) return it->second;
  }
  auto run = command_output({binary.string(), "--version"}, version_timeout);
  // A probe cut short (a slow, loaded host) is not the binary's answer: ask again next time.
  if (identity && run.problem.empty() && identity_of(binary) == identity) {
    std::lock_guard lock(answers_mutex);
    answers[{binary.string(), *identity}] = run;
  }
  return run;
}

}  // namespace

DoctorCheck version_check(const std::string& name, const std::filesystem::path& binary,
                          const std::string& missing_status) {
  const std::string check = name + "-version";
  if (access(binary.c_str(), X_OK) != 0)
    return {check, missing_status, fmt::format("{} is not installed", name),
            fmt::format("{} is not an executable", binary.string()),
            fmt::format("install {} or set its path in the [vmm] table of bangerd.toml", name)};
  const auto run = version_output(binary);
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
