// The D-Bus fuzz test: bus-fuzz-client sends random and boundary calls to every
// method of every interface of bangerd-test (as root, then as banger-eve, who may
// do nothing but read) in batches; after each batch bangerd must be the same
// process, still own its name and answer ListVMs. Every answer must be a
// well-formed return or a documented error (the client checks and reports), and
// the checkpoints' methods (VM.Snapshot, Snapshot.Restore, Delete and Clone) must have
// met real objects.
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "image_support.h"
#include "test_support.h"

namespace banger::test {
namespace {

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

// The client's "key value" lines, summed over batches.
struct Tally {
  std::uint64_t calls = 0, on_target = 0, returns = 0, errors = 0, unsendable = 0, max_ms = 0;
  std::map<std::string, std::uint64_t> by_name;
  std::map<std::string, std::uint64_t> on_target_by_method;  // "interface.method"

  void add(const std::string& out) {
    std::istringstream lines(out);
    std::string key;
    while (lines >> key) {
      if (key == "error") {
        std::string name;
        std::uint64_t n = 0;
        lines >> name >> n;
        by_name[name] += n;
        continue;
      }
      if (key == "on_target_method") {
        std::string method;
        std::uint64_t n = 0;
        lines >> method >> n;
        on_target_by_method[method] += n;
        continue;
      }
      if (key == "violation") {
        std::string rest;
        std::getline(lines, rest);
        continue;
      }
      std::uint64_t n = 0;
      lines >> n;
      if (key == "calls") calls += n;
      if (key == "on_target") on_target += n;
      if (key == "returns") returns += n;
      if (key == "errors") errors += n;
      if (key == "unsendable") unsendable += n;
      if (key == "max_ms") max_ms = std::max(max_ms, n);
    }
  }

  std::string summary() const {
    std::ostringstream s;
    s << "D-Bus fuzz calls: " << calls << " (" << returns << " returns, " << errors << " errors:";
    for (const auto& [name, n] : by_name) s << " " << name.substr(name.rfind('.') + 1) << "=" << n;
    s << "; " << on_target << " with the right signature on an object with the interface, " << unsendable
      << " not marshallable, slowest answer " << max_ms << " ms)";
    return s.str();
  }
};

class BusFuzz : public ClientTest {
 protected:
  void expect_daemon_up(pid_t pid, const std::string& after) {
    EXPECT_EQ(env().daemon_pid(), pid) << after;
    EXPECT_EQ(::kill(pid, 0), 0) << "bangerd is gone " << after << "\n" << env().logs();
    // ListVMs through a fresh client: the name is owned and the daemon answers.
    auto e = error_of([&] { BusClient(env().address()).list_vms(); });
    EXPECT_FALSE(e) << "ListVMs " << after << ": " << e->getName() << " " << e->getMessage();
  }

  // Kills and deletes every VM not in `keep`; deletes networks named fz*.
  void remove_fuzz_leftovers(const std::set<std::string>& keep) {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      bool left = false;
      for (const auto& vm : client_->list_vms()) {
        const std::string path = std::get<3>(vm);
        if (keep.count(path)) continue;
        left = true;
        const std::string& state = std::get<2>(vm);
        // A VMM first (Kill; paused ones too, which the fuzzer's Pause leaves: found by CI), then Delete.
        const bool has_vmm = state == "running" || state == "starting" || state == "paused" || state == "stopping";
        error_of([&] { client_->vm_call(path, has_vmm ? "Kill" : "Delete"); });
      }
      if (!left) break;
      std::this_thread::sleep_for(200ms);
    }
    for (const auto& vm : client_->list_vms())
      EXPECT_TRUE(keep.count(std::get<3>(vm))) << "left behind: " << std::get<1>(vm) << " " << std::get<2>(vm);
    auto connection = sdbus::createSessionBusConnectionWithAddress(env().address());
    auto manager = sdbus::createProxy(*connection, kService, kRoot);
    std::vector<sdbus::Struct<std::string, std::string, bool, sdbus::ObjectPath>> networks;
    manager->callMethod("ListNetworks").onInterface(kManager).storeResultsTo(networks);
    for (const auto& n : networks)
      if (std::get<0>(n).rfind("fz", 0) == 0)
        error_of([&] { manager->callMethod("DeleteNetwork").onInterface(kManager).withArguments(std::get<0>(n)); });
  }
};

TEST_F(BusFuzz, EveryMethodAnswersRandomAndBoundaryCallsWithAResultOrADocumentedError) {
  const std::uint64_t total = env_number("BANGER_BUS_FUZZ_CALLS", 4000);
  const std::uint64_t seed = env_number("BANGER_BUS_FUZZ_SEED", static_cast<std::uint64_t>(::time(nullptr)));
  std::cout << "bus fuzz seed " << seed << " (BANGER_BUS_FUZZ_SEED=" << seed << " repeats it), " << total
            << " calls" << std::endl;

  std::set<std::string> before;
  for (const auto& vm : client_->list_vms()) before.insert(std::get<3>(vm));
  // Objects to aim at besides those the fuzzer makes: a created VM, a running one, a network,
  // and a checkpoint of each VM (disks only; with memory) for Snapshot.Restore and Delete.
  const std::string target = client_->create_ready(*recorder_, "fuzz-target");
  const std::string running = running_vm("fuzz-running");
  for (const auto& vm : {target, running}) {
    const auto taken = as("", vm, kVm, {"Snapshot", "sa{sv}", "fzsnap", "0"});
    ASSERT_EQ(taken.error_name, "") << taken.error_message;
    EXPECT_TRUE(wait_added(taken.values.at(0))) << "a checkpoint of " << vm << "\n" << env().logs();
  }
  env().busctl("", {"call", kService, kRoot, kManager, "CreateNetwork", "sa{sv}", "fznet", "0"});
  // Two images (stand-in files), so that Image.Delete and the image refs meet real ones.
  write_stand_in_image(env().dir() / "fuzz-image");
  auto connection = sdbus::createSessionBusConnectionWithAddress(env().address());
  auto manager = sdbus::createProxy(*connection, kService, kRoot);
  for (const char* name : {"fzimg-a", "fzimg-b"})
    import_image_ready(*manager, *recorder_, name,
                       {{"kernel", fd_variant(env().dir() / "fuzz-image" / "vmlinuz")},
                        {"rootfs", fd_variant(env().dir() / "fuzz-image" / "rootfs.ext4")}});

  const pid_t pid = env().daemon_pid();
  const std::string client = std::getenv("BANGER_BUS_FUZZ_CLIENT");
  const std::string xml_dir = std::string(std::getenv("BANGER_SOURCE_ROOT")) + "/interfaces";
  Tally tally;
  std::uint64_t as_eve = 0;
  // Batches of at most 500 calls; the last fifth as banger-eve (no rights but reading).
  const std::uint64_t batch = 500;
  const std::uint64_t as_root = total - total / 5;
  for (std::uint64_t done = 0, n = 0, calls = 0; done < total; done += calls, ++n) {
    calls = std::min(batch, (done < as_root ? as_root : total) - done);
    const std::string user = done < as_root ? "" : "banger-eve";
    const std::string what = "batch " + std::to_string(n) + " (seed " + std::to_string(seed + n) + ", " +
                             (user.empty() ? "root" : user) + ")";
    auto r = env().run_as(user, {client, xml_dir, std::to_string(seed + n), std::to_string(calls)}, 600s);
    EXPECT_EQ(r.exit_code, 0) << what << "\n" << r.describe();
    tally.add(r.out);
    if (!user.empty()) as_eve += calls;
    if (!r.err.empty()) std::cout << what << " said:\n" << r.err.substr(0, 2000) << std::endl;
    expect_daemon_up(pid, "after " + what);
    if (HasFailure()) break;
  }
  std::cout << tally.summary() << "; " << as_eve << " of the calls as banger-eve" << std::endl;
  EXPECT_GE(tally.calls, total) << "every planned call was sent";
  EXPECT_GT(tally.returns, 0u);
  EXPECT_GT(tally.errors, 0u);
  // Checkpoints (issue 19) are reached, not only their names: the fuzzer keeps one to aim at.
  for (const char* method : {"dev.banger.banger1.VM.Snapshot", "dev.banger.banger1.Snapshot.Restore",
                             "dev.banger.banger1.Snapshot.Delete", "dev.banger.banger1.Snapshot.Clone"}) {
    std::cout << method << " on target: " << tally.on_target_by_method[method] << std::endl;
    EXPECT_GT(tally.on_target_by_method[method], 0u) << method << " never called on a real object";
  }
  remove_fuzz_leftovers(before);
  expect_daemon_up(pid, "after the clean-up");
}

}  // namespace
}  // namespace banger::test
