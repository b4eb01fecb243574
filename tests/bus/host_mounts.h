#pragma once
// The mounts bangerd and everything it started see (every thread: a thread
// may have a mount namespace of its own), for tests that a guest's disk is
// never mounted on the host (issue 17, finding 2).
#include <sys/types.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace banger::test {

namespace host_mounts_detail {
inline std::string read_all(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace host_mounts_detail

// The pids of `root` and everything below it.
inline std::vector<pid_t> process_tree(pid_t root) {
  std::map<pid_t, std::vector<pid_t>> children;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto stat = host_mounts_detail::read_all(entry.path() / "stat");
    const auto close_paren = stat.rfind(')');
    if (close_paren == std::string::npos) continue;
    std::istringstream rest(stat.substr(close_paren + 2));
    char state = 0;
    pid_t parent = 0;
    rest >> state >> parent;
    children[parent].push_back(std::stoi(name));
  }
  std::vector<pid_t> tree{root};
  for (std::size_t i = 0; i < tree.size(); ++i)
    for (pid_t child : children[tree[i]]) tree.push_back(child);
  return tree;
}

// The mounts every thread of `pid` sees, one mountinfo line each.
inline std::set<std::string> mounts_of(pid_t pid) {
  std::set<std::string> lines;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator(std::filesystem::path("/proc") / std::to_string(pid) / "task", ec)) {
    std::istringstream in(host_mounts_detail::read_all(task.path() / "mountinfo"));
    for (std::string line; std::getline(in, line);) lines.insert(line);
  }
  return lines;
}

// A mountinfo line's filesystem type and source ("ext4 /dev/loop3").
inline std::string type_and_source(const std::string& line) {
  const auto dash = line.find(" - ");
  if (dash == std::string::npos) return "";
  std::istringstream rest(line.substr(dash + 3));
  std::string type, source;
  rest >> type >> source;
  return type + " " + source;
}

// What a mounted work disk looks like: a loop device, or an ext4 from a
// source the daemon did not have mounted before (a mount namespace's copy of
// the host's own mounts has new ids but the same sources).
inline bool looks_like_a_disk_mount(const std::string& line, const std::set<std::string>& baseline) {
  const auto what = type_and_source(line);
  if (what.find(" /dev/loop") != std::string::npos) return true;
  if (!what.starts_with("ext4 ")) return false;
  for (const auto& known : baseline)
    if (type_and_source(known) == what) return false;
  return true;
}

// The disk-like mounts (looks_like_a_disk_mount) any process below `daemon` sees now, "pid: line" each.
inline std::vector<std::string> disk_mounts_below(pid_t daemon, const std::set<std::string>& baseline) {
  std::vector<std::string> found;
  for (pid_t pid : process_tree(daemon))
    for (const auto& line : mounts_of(pid))
      if (looks_like_a_disk_mount(line, baseline)) found.push_back(std::to_string(pid) + ": " + line);
  return found;
}

}  // namespace banger::test
