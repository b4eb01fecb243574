#include "invariants.h"

#include <signal.h>

#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bangerd_netns.h"
#include "store/handles_files.h"
#include "net/taps.h"

namespace banger::test {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string quoted(const std::string& s) { return "'" + s + "'"; }

// sqlite3 -readonly -json: a WAL reader, so a running bangerd is fine.
json query(const CrashSite& site, const std::string& sql, InvariantReport& report) {
  const auto r = run_command("sqlite3 -readonly -json " + quoted((site.state_dir / "banger.db").string()) +
                                          " " + quoted(sql));
  if (r.status != 0) {
    report.violations.push_back("sqlite3 failed on '" + sql + "': " + r.out);
    return json::array();
  }
  return r.out.find_first_not_of(" \n") == std::string::npos ? json::array() : json::parse(r.out);
}

std::string cmdline_of(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/cmdline", pid), std::ios::binary);
  std::string text;
  try {
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } catch (const std::ios_base::failure&) {
    // The process exited between open and read (ESRCH; libstdc++ throws from
    // underflow): short-lived children such as bangerd's sandboxed e2fsck.
    return "";
  }
  for (auto& c : text)
    if (c == '\0') c = ' ';
  return text;
}

// Every process whose command line holds all of `words`.
std::vector<pid_t> processes_with(const std::vector<std::string>& words) {
  std::vector<pid_t> out;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    const auto cmdline = cmdline_of(pid);
    bool all = !cmdline.empty();
    for (const auto& w : words) all = all && cmdline.find(w) != std::string::npos;
    if (all) out.push_back(pid);
  }
  return out;
}

std::set<std::string> entries_of(const fs::path& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) out.insert(e.path().filename().string());
  return out;
}

std::set<std::string> links_starting(const ScopedNetns& netns, const std::string& prefix) {
  std::set<std::string> out;
  const auto shown = netns.exec("ip -j link show");
  for (const auto& link : json::parse(shown.out.empty() ? "[]" : shown.out)) {
    const auto name = link.value("ifname", "");
    if (name.rfind(prefix, 0) == 0) out.insert(name);
  }
  return out;
}

class Checker {
 public:
  Checker(const CrashSite& site, InvariantReport& report) : site_(site), report_(report) {}

  void expect(bool holds, const std::string& what) {
    ++report_.checks;
    if (!holds) report_.violations.push_back(what);
  }

  void run() {
    const auto integrity = run_command(
        "sqlite3 -readonly " + quoted((site_.state_dir / "banger.db").string()) + " 'PRAGMA integrity_check'");
    expect(integrity.status == 0 && integrity.out == "ok\n", "PRAGMA integrity_check: " + integrity.out);
    for (const auto& row : query(site_, "SELECT id, name, state FROM vms", report_))
      report_.vms[row["id"]] = {row["id"], row["name"], row["state"]};
    std::map<std::string, json> networks;
    for (const auto& row : query(site_, "SELECT name, bridge, subnet, nat FROM networks", report_))
      networks[row["name"]] = row;
    vms();
    snapshots();
    vmm_processes();
    host_devices(networks);
    files();
  }

 private:
  // A checkpoint's directory exists exactly while its row does, whole (core/snapshot.h),
  // and no VM is left halfway through a restore.
  void snapshots() {
    std::set<std::string> rows;
    for (const auto& row : query(site_, "SELECT id, vm_id, name, has_memory FROM snapshots", report_)) {
      const std::string vm_id = row["vm_id"], id = row["id"];
      rows.insert(vm_id + "/" + id);
      const auto dir = site_.state_dir / "snapshots" / vm_id / id;
      const auto who = fmt::format("checkpoint '{}' of VM {}", std::string(row["name"]), vm_id);
      expect(fs::is_directory(dir / "disks"), who + ": its disks are gone");
      if (row["has_memory"] == 1) expect(fs::exists(dir / "manifest"), who + ": its saved state is gone");
    }
    for (const auto& vm_id : entries_of(site_.state_dir / "snapshots")) {
      expect(!fs::exists(site_.state_dir / "snapshots" / vm_id / "restoring"),
             "VM " + vm_id + ": a restore was left unfinished");
      for (const auto& id : entries_of(site_.state_dir / "snapshots" / vm_id))
        if (id != "restoring") expect(rows.contains(vm_id + "/" + id), "a checkpoint without its row: " + vm_id + "/" + id);
    }
  }

  // Rows are settled (recovery ends every half-done operation) and match the host.
  void vms() {
    HandlesFiles handles(site_.runtime_dir);
    for (const auto& [id, vm] : report_.vms) {
      const auto who = fmt::format("VM '{}' ({})", vm.name, vm.state);
      expect(vm.state == "created" || vm.state == "stopped" || vm.state == "running" || vm.state == "failed" ||
                 vm.state == "suspended",
             who + ": an unsettled state after recovery");
      // A saved state exists exactly while its VM is suspended (core/saved_states.h).
      const auto saved = site_.state_dir / "saved-states" / id;
      if (vm.state == "suspended")
        expect(fs::exists(saved / "manifest"), who + ": its saved state is gone");
      else
        expect(!fs::exists(saved), who + ": a saved state is left behind");
      const auto dir = site_.state_dir / "vms" / id;
      expect(fs::exists(dir / "rootfs.ext4") || fs::exists(dir / "rootfs.cow"), who + ": its root disk is gone");
      const auto process = vmm_process_of(handles.get(id));
      if (vm.state == "running") {
        const bool runs = process && ::kill(process->pid, 0) == 0 &&
                          cmdline_of(process->pid).find(site_.vmm_binary) != std::string::npos;
        expect(runs, who + ": no VMM runs for it");
        if (runs) report_.vmm_pids[id] = process->pid;
      } else if (vm.state != "failed") {
        expect(!process, who + ": still has VMM handles");
      }
    }
  }

  // No VMM that no VM row names (the store is the only way to reach one).
  void vmm_processes() {
    std::set<pid_t> known;
    HandlesFiles handles(site_.runtime_dir);
    for (const auto& [id, vm] : report_.vms)
      if (auto p = vmm_process_of(handles.get(id))) known.insert(p->pid);
    for (pid_t pid : processes_with({site_.vmm_binary, site_.runtime_dir.string() + "/"}))
      expect(known.count(pid) != 0, fmt::format("orphan VMM process {}: {}", pid, cmdline_of(pid)));
  }

  void host_devices(const std::map<std::string, json>& networks) {
    std::set<std::string> running_taps;
    for (const auto& [id, vm] : report_.vms)
      if (vm.state == "running") running_taps.insert(net::tap_name_for(id));
    for (const auto& tap : links_starting(*site_.netns, "bgt"))
      expect(running_taps.count(tap) != 0, "orphan tap " + tap);
    for (const auto& tap : running_taps)
      expect(!link_in(*site_.netns, tap).is_null(), "running VM's tap " + tap + " is gone");

    std::set<std::string> bridges, nat_subnets;
    for (const auto& [name, n] : networks) {
      bridges.insert(n["bridge"].get<std::string>());
      if (n["nat"].get<int>() != 0) nat_subnets.insert(n["subnet"].get<std::string>());
    }
    expect(links_starting(*site_.netns, "bg-") == bridges, "the bridges differ from the stored networks");
    const auto masqueraded = banger::test::masqueraded(*site_.netns);
    expect(masqueraded && *masqueraded == nat_subnets, "nftables masquerade differs from the stored networks' NAT");

    // One dnsmasq per stored network, none for a network that is gone.
    std::map<std::string, int> dnsmasq;
    const auto dns_dir = (site_.runtime_dir / "dns").string() + "/";
    for (pid_t pid : processes_with({"dnsmasq", dns_dir})) {
      const auto cmdline = cmdline_of(pid);
      const auto at = cmdline.find("--pid-file=" + dns_dir);
      if (at == std::string::npos) continue;
      const auto from = at + 11 + dns_dir.size();
      ++dnsmasq[cmdline.substr(from, cmdline.find(".pid", from) - from)];
    }
    for (const auto& [name, count] : dnsmasq)
      expect(networks.count(name) != 0 && count == 1, fmt::format("{} dnsmasq for network '{}'", count, name));
    for (const auto& [name, n] : networks) expect(dnsmasq.count(name) != 0, "no dnsmasq for network " + name);

    // Loop devices (offline workspace pushes, dm snapshots) outlive nothing of ours.
    const auto loops = run_command("losetup -l -n -O BACK-FILE");
    std::istringstream lines(loops.out);
    for (std::string line; std::getline(lines, line);)
      expect(line.find(site_.state_dir.string()) == std::string::npos, "loop device left on " + line);
  }

  // Per-VM directories (disks, sockets, handles, console) only for stored VMs.
  void files() {
    for (const auto& root : {site_.state_dir / "vms", site_.runtime_dir / "vms"})
      for (const auto& id : entries_of(root))
        expect(report_.vms.count(id) != 0, "orphan directory " + (root / id).string());
  }

  const CrashSite& site_;
  InvariantReport& report_;
};

}  // namespace

std::string InvariantReport::describe() const {
  std::string out = fmt::format("{} checks, {} violations", checks, violations.size());
  for (const auto& v : violations) out += "\n  - " + v;
  out += "\n  VMs:";
  for (const auto& [id, vm] : vms) out += fmt::format(" {}={}", vm.name, vm.state);
  return out;
}

InvariantReport check_invariants(const CrashSite& site) {
  InvariantReport report;
  Checker(site, report).run();
  return report;
}

}  // namespace banger::test
