// Wake-on-connect (issue 19's figure): a plain TCP connect to a suspended VM
// against the resume (Start of the suspended VM to SSH-ready) in the same run,
// on one VM: the default image, 256 MiB guest, QEMU (TCG here), in bangerd's
// network namespace (guest_bench.h). The guest runs a listener (busybox nc
// answering "awake"); the VM has IdleSuspendSeconds (it must, to be woken) set
// long, and each round suspends it explicitly:
//   wake    suspend; from the namespace, connect to the guest's address and read
//           its answer, timed by the client itself (python3, connect to answer);
//   resume  suspend; Start (client library) to SSH-ready.
// The target: wake ≤ 1.2× resume (medians): bangerd holds the first SYN while it
// restores the VM and lets it go after, so no 1 s SYN retransmit is paid.
//
// THE QUEUE RULE IS A STAND-IN. This machine's kernel lacks nftables' queue
// statement (CONFIG_NFT_QUEUE), so banger's own wake table (ip banger_wake)
// cannot be applied (bangerd logs that and keeps its queue bound). As the wake
// tests do (tests/net/test_wake_traffic.cpp), the bench adds iptables' NFQUEUE
// target at the same raw priority, to bangerd's queue (2990, net/wake_queue.h),
// for SYNs to the guest's address; everything after the rule (the queue,
// bangerd's wake, the restore, the release) is bangerd's. Where the kernel has
// the queue statement the bench uses banger's table and adds nothing.
// Each wake is checked: the VM was suspended before the connect and running
// after, bangerd's log says a TCP connection started it, and the guest kept its
// boot_id (restored, not booted afresh); else the bench fails.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <regex>
#include <string>
#include <vector>

#include <banger/client.h>
#include <fmt/format.h>

#include "bench_support.h"
#include "guest_bench.h"

using namespace banger::bench;
namespace client = banger::client;

namespace {

constexpr const char* kVm = "bench-wake";
constexpr unsigned kMemoryMiB = 256;
constexpr int kGuestPort = 9000;
constexpr int kQueueNum = 2990;  // bangerd's (net/wake_queue.h)
const int kRounds = count(5, 1);

// Whether the kernel takes nft's queue statement (a scratch table in the namespace).
bool nft_queue(GuestBench& bench) {
  const auto probe = bench.netns().exec(
      "nft -f - 2>&1 <<'EOF'\ntable ip wake_probe { chain c { type filter hook output priority raw; queue num 1 "
      "bypass; }; }\nEOF");
  bench.netns().exec("nft delete table ip wake_probe 2>/dev/null");
  return probe.status == 0;
}

// The stand-in for banger's wake table: SYNs to `address`, arriving or sent from
// the namespace, to bangerd's queue; --queue-bypass lets them pass when nobody reads it.
void add_iptables_stand_in(GuestBench& bench, const std::string& address) {
  for (const char* chain : {"PREROUTING", "OUTPUT"}) {
    const auto added = bench.netns().exec(fmt::format(
        "iptables -t raw -A {} -d {} -p tcp --syn -j NFQUEUE --queue-num {} --queue-bypass 2>&1", chain, address,
        kQueueNum));
    if (added.status != 0) throw std::runtime_error("iptables: " + added.out);
  }
}

// bangerd's own account, from its log: each start by a TCP connection ("started by a TCP
// connection (wake-on-connect) in N ms") and each Start over the bus ("vm.start NAME by
// uid 0: ok in N ms"), in log order. Not a figure: it shows what the client's times hold.
struct DaemonAccount {
  std::vector<double> wake_ms, start_ms;
};

DaemonAccount daemon_account(const std::filesystem::path& log) {
  DaemonAccount account;
  std::ifstream in(log);
  const std::regex woken(R"(started by a TCP connection \(wake-on-connect\) in (\d+) ms)");
  const std::regex started(R"(vm\.start bench-wake by uid \d+: ok in (\d+) ms)");
  std::smatch m;
  for (std::string line; std::getline(in, line);) {
    if (std::regex_search(line, m, woken)) account.wake_ms.push_back(std::stod(m[1]));
    if (std::regex_search(line, m, started)) account.start_ms.push_back(std::stod(m[1]));
  }
  return account;
}

}  // namespace

int main() {
  return run_guest_bench("bench-wake", {"nft", "ssh", "python3", "iptables"}, [](GuestBench& bench) {
    auto& env = bench.env();
    ::setenv("DBUS_SYSTEM_BUS_ADDRESS", env.address().c_str(), 1);
    auto bus = client::Client::connect();
    must(bench.ctl({"create", kVm, "--memory", std::to_string(kMemoryMiB), "--idle-suspend", "1h"}), "create");
    const auto address = bus.get_vm(kVm).ipv4_address;
    auto in_guest = [&](const std::string& command) { return bench.in_guest(address, command); };
    auto expect_state = [&](const std::string& state, const std::string& after) {
      const auto now = bus.get_vm(kVm);
      if (now.state != state)
        throw std::runtime_error(fmt::format("after {}: the VM is {}, not {} (last error: {})", after, now.state,
                                             state, now.last_error));
    };
    const bool own_table = nft_queue(bench);
    if (!own_table) add_iptables_stand_in(bench, address);

    // The first start (KVM probe, first boot) is not a round.
    bus.start(kVm);
    const auto boot = in_guest("cat /proc/sys/kernel/random/boot_id");
    // Answers every connection with "awake", for as long as the guest lives.
    in_guest(fmt::format("(while true; do echo awake | nc -l -p {}; done) >/dev/null 2>&1 &", kGuestPort));
    // Timed by the client itself, from its connect to the guest's answer (not python's start-up).
    const std::string connect = fmt::format(
        "python3 -c 'import socket, time\nt = time.monotonic()\ns = socket.create_connection((\"{}\", {}), "
        "timeout=60)\nprint(s.recv(100).decode().strip(), time.monotonic() - t)'",
        address, kGuestPort);
    {
      const auto awake = bench.netns().exec(connect);  // the listener answers a running guest
      if (awake.out.rfind("awake ", 0) != 0) throw std::runtime_error("the guest's listener: " + awake.out);
    }

    std::vector<double> wake_s, resume_s;
    for (int round = 0; round < kRounds; ++round) {
      std::cerr << "bench-wake: round " << round + 1 << " of " << kRounds << "\n";
      bus.suspend(kVm);
      expect_state("suspended", "suspend");
      const auto logged = daemon_account(env.dir() / "bangerd.log").wake_ms.size();
      const auto answer = bench.netns().exec(connect);
      if (answer.status != 0 || answer.out.rfind("awake ", 0) != 0)
        throw std::runtime_error("the connect to the suspended guest: " + answer.out + "\n" + env.logs());
      wake_s.push_back(std::stod(answer.out.substr(6)));
      expect_state("running", "the connect to the suspended guest");
      if (daemon_account(env.dir() / "bangerd.log").wake_ms.size() != logged + 1)
        throw std::runtime_error("bangerd's log does not say the connection woke the VM");
      if (in_guest("cat /proc/sys/kernel/random/boot_id") != boot)
        throw std::runtime_error("the wake booted the guest afresh");

      bus.suspend(kVm);
      expect_state("suspended", "suspend");
      resume_s.push_back(seconds_of([&] { bus.start(kVm); }));
      expect_state("running", "the start of the suspended VM");
      if (in_guest("cat /proc/sys/kernel/random/boot_id") != boot)
        throw std::runtime_error("the resume booted the guest afresh");
    }

    const double wake_med = median(wake_s), resume_med = median(resume_s), ratio = wake_med / resume_med;
    fmt::print("bench-wake: default image, {} MiB guest, QEMU (TCG here), {} round{} (each: suspend, connect; "
               "suspend, start)\n",
               kMemoryMiB, kRounds, kRounds == 1 ? "" : "s");
    fmt::print("  queue rule: {}\n",
               own_table ? "banger's own wake table (nft queue)"
                         : fmt::format("IPTABLES NFQUEUE STAND-IN (this kernel lacks nft's queue statement): raw "
                                       "PREROUTING/OUTPUT -d {} --syn -j NFQUEUE --queue-num {} --queue-bypass",
                                       address, kQueueNum));
    fmt::print("  {:<52} {:>9} {:>9}\n", "", "best", "median");
    fmt::print("  {:<52} {:>7.3f} s {:>7.3f} s\n", "TCP connect to the suspended guest, to its answer", best(wake_s),
               wake_med);
    fmt::print("  {:<52} {:>7.3f} s {:>7.3f} s\n", "resume: Start of the suspended VM to SSH-ready", best(resume_s),
               resume_med);
    fmt::print("  raw seconds: wake [{}]  resume [{}]\n", list(wake_s), list(resume_s));
    const auto account = daemon_account(env.dir() / "bangerd.log");
    if (account.wake_ms.size() == wake_s.size() && account.start_ms.size() == 1 + resume_s.size()) {
      const std::vector<double> starts(account.start_ms.begin() + 1, account.start_ms.end());  // the first is no round
      fmt::print("  bangerd's own account (its log, medians): start by the connection {:.0f} ms, Start over the bus "
                 "{:.0f} ms\n",
                 median(account.wake_ms), median(starts));
      fmt::print("  raw bangerd ms: wake [{}]  start [{}]\n", list(account.wake_ms, 0), list(starts, 0));
    } else {
      fmt::print("  bangerd's own account: its log has {} wakes and {} starts, not the {} and {} expected\n",
                 account.wake_ms.size(), account.start_ms.size(), wake_s.size(), 1 + resume_s.size());
    }
    fmt::print("  every wake: suspended before, running after, logged by bangerd as a TCP wake, same boot_id\n");
    fmt::print("  wake / resume (medians) {:.3f}x (target <= 1.2x): {}   [best / best {:.3f}x]\n", ratio,
               verdict(ratio <= 1.2), best(wake_s) / best(resume_s));
    figure("wake.connect_vs_resume", ratio, "x", "<=", 1.2,
           fmt::format("TCP connect to a suspended VM / its resume, {} MiB TCG guest (medians){}", kMemoryMiB,
                       own_table ? "" : ", iptables NFQUEUE stand-in"));
    bus.kill(kVm);
    bus.remove(kVm);
  });
}
