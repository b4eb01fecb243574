// Several clients issue random lifecycle calls on a shared set of VMs against
// bangerd-test for a bounded time (BANGER_CONCURRENCY_SECONDS, default 30): root
// clients on connections of their own, banger-op (group banger) and banger-eve
// (no rights) through bus-probe. A watchdog fails the run when calls stop
// completing. Afterwards every VM is in a stable state that agrees with the
// last successful call made on it, and every error was one the API documents.
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include "concurrency_run.h"
#include "test_support.h"

namespace banger::test {
namespace {

namespace error = banger::bus::error;

const char* const kVerbs[] = {"Start", "Stop", "Restart", "Kill", "Set", "Touch", "Delete", "Clone", "CreateVM"};
constexpr std::size_t kMinVms = 3, kMaxVms = 8;

class ConcurrencyTest : public ClientTest {
 protected:
  // One call as `client` (root on `bus`, else `user` through bus-probe).
  CallRecord call(const std::string& client, BusClient* bus, const std::string& user, std::mt19937& random) {
    CallRecord r{client, kVerbs[random() % std::size(kVerbs)], vms_.pick(random), {}, {}, false, {}};
    if (vms_.size() < kMinVms) r.method = "CreateVM";
    if (vms_.size() >= kMaxVms && (r.method == "CreateVM" || r.method == "Clone")) r.method = "Delete";
    const std::string new_name = client + "-" + std::to_string(++names_);
    const std::uint32_t memory = 256 + 128 * (random() % 3);
    std::string operation;  // of a CreateVM or Clone that was answered
    r.begin = Clock::now();
    if (bus) {
      auto failure = error_of([&] {
        if (r.method == "CreateVM") {
          std::tie(r.path, operation) = bus->create_vm(new_name);
        } else if (r.method == "Clone") {
          std::tie(r.path, operation) = bus->clone(r.path, new_name);
        } else if (r.method == "Set") {
          bus->set(r.path, {{"memory", sdbus::Variant(memory)}});
        } else if (r.method == "Stop") {
          bus->stop(r.path, random() % 2 == 0);
        } else {
          bus->vm_call(r.path, r.method);
        }
      });
      r.ok = !failure;
      if (failure) r.error = failure->getName();
    } else {
      std::vector<std::string> args{"--no-interactive", r.path, kVm, r.method};
      if (r.method == "CreateVM") args = {"--no-interactive", kRoot, kManager, "CreateVM", "sa{sv}", new_name, "0"};
      if (r.method == "Clone") args.insert(args.end(), {"s", new_name});
      if (r.method == "Set") args.insert(args.end(), {"a{sv}", "1", "memory", "u", std::to_string(memory)});
      if (r.method == "Stop") args.insert(args.end(), {"b", "false"});
      auto p = parse_probe(env().probe_as(user, args));
      r.ok = p.ok;
      r.error = p.error_name;
      if (p.ok && (r.method == "CreateVM" || r.method == "Clone") && p.values.size() == 2) {
        r.path = p.values[0];
        operation = p.values[1];
      }
    }
    if (r.ok && !operation.empty()) take_outcome_of(operation, r);
    r.end = Clock::now();
    if (r.ok && (r.method == "CreateVM" || r.method == "Clone")) vms_.add(r.path);
    if (r.ok && r.method == "Delete") vms_.remove(r.path);
    return r;
  }

  // CreateVM and Clone answer before the VM is made, and their Operation can still fail
  // (a Clone's source started meanwhile), which removes the new VM: the call's outcome is
  // the Operation's, as for a client that follows it.
  void take_outcome_of(const std::string& operation, CallRecord& r) {
    auto finished = recorder_->wait_for(
        [&](const Signal& s) { return s.path == operation && s.member == "Finished"; }, 120s);
    if (finished && finished->success) return;
    r.ok = false;
    r.error = finished ? finished->args.at(0).substr(0, finished->args.at(0).find(':')) : "operation never finished";
  }

  // Waits until no VM is creating, starting or stopping; the rows then.
  std::vector<VmRow> settled_rows() {
    for (auto deadline = Clock::now() + 30s;;) {
      auto rows = client_->list_vms();
      bool settled = std::none_of(rows.begin(), rows.end(), [](const VmRow& row) {
        const auto& s = row.get<2>();
        return s == "creating" || s == "starting" || s == "stopping";
      });
      if (settled || Clock::now() > deadline) return rows;
      std::this_thread::sleep_for(200ms);
    }
  }

  SharedVms vms_;
  std::atomic<int> names_{0};
};

// Errors a caller with rights may be told while others change the same VMs.
const std::set<std::string> kRaceErrors = {error::invalid_state, error::busy, error::no_such_vm, error::exists};
const std::set<std::string> kDeniedErrors = {error::access_denied, error::interactive_authorization_required,
                                             error::no_such_vm};
// What sdbus answers for a path whose VM object was removed meanwhile.
const std::set<std::string> kGoneObjectErrors = {"org.freedesktop.DBus.Error.UnknownObject",
                                                 "org.freedesktop.DBus.Error.UnknownMethod"};

TEST_F(ConcurrencyTest, RandomLifecycleCallsAgreeWithTheFinalStates) {
  const auto duration = seconds_from_env("BANGER_CONCURRENCY_SECONDS", 30s);
  std::set<std::string> initial;
  for (int i = 0; i < 4; ++i) {
    auto vm = client_->create_ready(*recorder_, "shared-" + std::to_string(i));
    vms_.add(vm);
    initial.insert(vm);
  }
  CallLog log;
  {
    Watchdog watchdog(log, env().daemon_pid(), seconds_from_env("BANGER_CONCURRENCY_STALL_SECONDS", 20s),
                      duration + 90s);
    const auto end = Clock::now() + duration;
    std::vector<std::thread> clients;
    auto run = [&](std::string client, std::string user, unsigned seed) {
      std::unique_ptr<BusClient> bus;
      if (user.empty()) bus = std::make_unique<BusClient>(env().address());
      std::mt19937 random(seed);
      while (Clock::now() < end) log.add(call(client, bus.get(), user, random));
    };
    for (unsigned i = 1; i <= 3; ++i) clients.emplace_back(run, "root-" + std::to_string(i), "", i);
    clients.emplace_back(run, "banger-op", "banger-op", 11u);
    clients.emplace_back(run, "banger-eve", "banger-eve", 13u);
    for (auto& c : clients) c.join();
  }
  const auto records = log.all();

  std::map<std::string, int> by_method, by_error;
  std::set<std::string> deleted, created = initial;
  for (const auto& r : records) {
    ++by_method[r.method];
    if (!r.ok) ++by_error[r.error];
    if (r.ok && r.method == "Delete") deleted.insert(r.path);
    if (r.ok && (r.method == "CreateVM" || r.method == "Clone")) created.insert(r.path);
  }
  std::cout << "concurrency operations: " << records.size() << " (by method:";
  for (const auto& [m, n] : by_method) std::cout << " " << m << "=" << n;
  std::cout << "; errors:";
  for (const auto& [e, n] : by_error) std::cout << " " << e << "=" << n;
  std::cout << ")\n";
  EXPECT_GT(records.size(), 50u) << "too few calls to say anything";

  // Unexpected answers, counted by client, method and error (a dead daemon answers
  // thousands of calls quickly; one line each would bury the first cause).
  std::map<std::string, int> unexpected;
  std::string first_unexpected;
  for (const auto& r : records) {
    const bool gone = !r.ok && deleted.count(r.path) && kGoneObjectErrors.count(r.error);
    const auto& allowed = r.client == "banger-eve" ? kDeniedErrors : kRaceErrors;
    const bool fine = r.ok ? r.client != "banger-eve" : (allowed.count(r.error) || gone);
    if (fine) continue;
    const std::string client = r.client.rfind("root-", 0) == 0 ? "root" : r.client;
    if (unexpected.empty()) first_unexpected = r.client + " " + r.method + " " + r.path + ": " + (r.ok ? "ok" : r.error);
    ++unexpected[client + " " + r.method + " " + (r.ok ? "ok" : r.error)];
  }
  for (const auto& [what, n] : unexpected) ADD_FAILURE() << "unexpected answer " << n << "x: " << what;
  ASSERT_TRUE(unexpected.empty()) << "first: " << first_unexpected;

  const auto rows = settled_rows();
  std::set<std::string> listed;
  for (const auto& row : rows) {
    const std::string path = row.get<3>(), state = row.get<2>();
    listed.insert(path);
    EXPECT_TRUE(created.count(path)) << "a VM no client was told about: " << path;
    EXPECT_FALSE(deleted.count(path)) << path << " was deleted but is listed";
    EXPECT_EQ(client_->vm_string(path, "State"), state) << path;
    // The last successful call that set a state on this VM, and any that overlapped it:
    // their order inside bangerd is not visible to the clients, so either may be last.
    const CallRecord* last = nullptr;
    for (const auto& r : records)
      if (r.ok && r.path == path && !implied_state(r.method).empty() && (!last || r.end > last->end)) last = &r;
    std::set<std::string> expected{last ? implied_state(last->method) : "created"};
    for (const auto& r : records)
      if (last && r.ok && r.path == path && !implied_state(r.method).empty() && r.end > last->begin)
        expected.insert(implied_state(r.method));
    std::string told;
    for (const auto& s : expected) told += s + " ";
    EXPECT_TRUE(expected.count(state)) << path << " is " << state << ", the clients were told: " << told;
  }
  for (const auto& path : created)
    EXPECT_TRUE(listed.count(path) || deleted.count(path)) << path << " vanished without a Delete";
}

}  // namespace
}  // namespace banger::test
