#include "housekeeping.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "process.h"

namespace banger::test {

namespace fs = std::filesystem;

namespace {

const fs::path polkit_dirs[] = {"/usr/share/polkit-1/actions", "/etc/polkit-1/rules.d"};

std::string tag_of(const fs::path& run_dir) { return ".test-" + run_dir.filename().string(); }

bool is_stale(const fs::path& run_dir) {
  std::error_code ec;
  if (!fs::is_directory(run_dir, ec)) return true;
  std::ifstream in(run_dir / "owner.pid");
  long pid = 0;
  if (in >> pid && pid > 0) return kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
  // No owner.pid yet: a run being created right now, unless the dir is old.
  auto age = fs::file_time_type::clock::now() - fs::last_write_time(run_dir, ec);
  return !ec && age > std::chrono::minutes(10);
}

}  // namespace

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& p, const std::string& text, fs::perms perms) {
  fs::path tmp = p;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
    out << text;
  }
  fs::permissions(tmp, perms);
  fs::rename(tmp, p);
}

fs::path make_run_dir() {
  std::string templ = (run_base / (std::string(run_prefix) + "XXXXXX")).string();
  if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp " + templ + " failed");
  fs::path dir = templ;
  // Test users connect to <dir>/bus.sock, so they must reach into the dir.
  fs::permissions(dir, fs::perms(0755));
  write_file(dir / "owner.pid", std::to_string(getpid()) + "\n");
  return dir;
}

std::vector<fs::path> install_polkit_files(const fs::path& source_root, const fs::path& run_dir) {
  const std::pair<fs::path, fs::path> files[] = {
      {source_root / "polkit" / "dev.banger.banger1.policy", polkit_dirs[0]},
      {source_root / "polkit" / "50-dev.banger.banger1.rules", polkit_dirs[1]},
      {source_root / "tests" / "bus" / "data" / "49-banger-tests.rules", polkit_dirs[1]},
  };
  std::vector<fs::path> installed;
  for (const auto& [from, to_dir] : files) {
    // polkitd reads every *.policy and *.rules file; identical copies decide the same.
    fs::create_directories(to_dir);
    fs::path to = to_dir / (from.stem().string() + tag_of(run_dir) + from.extension().string());
    installed.push_back(to);
    write_file(to, read_file(from));
  }
  return installed;
}

void sweep_stale_runs(const fs::path& own_run_dir) {
  std::error_code ec;
  std::vector<std::string> live_tags;
  for (const auto& entry : fs::directory_iterator(run_base, ec)) {
    const std::string name = entry.path().filename();
    if (name.rfind(run_prefix, 0) != 0 || entry.path() == own_run_dir) continue;
    if (!is_stale(entry.path())) continue;
    for (pid_t pid : processes_mentioning(entry.path().string() + "/")) kill(pid, SIGKILL);
    fs::remove_all(entry.path(), ec);
  }
  // Polkit files whose run dir is gone (swept above, or never cleaned up).
  for (const auto& dir : polkit_dirs) {
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename();
      auto at = name.find(std::string(".test-") + run_prefix);
      if (at == std::string::npos) continue;
      std::string owner = name.substr(at + 6, std::string(run_prefix).size() + 6);
      if (!fs::exists(run_base / owner, ec)) fs::remove(entry.path(), ec);
    }
  }
}

}  // namespace banger::test
