// The latency a port forward adds: connect + a 1-byte round trip + close, to
// a "guest" directly and through its forwarded host port, interleaved in the
// same run so both see the same load. Target: forwarded ≤ 1.1× direct.
//
// The guest is a namespace behind a bridge (a veth pair, as a tap would be)
// running an echo server, in a "host" namespace of the bench's own with
// banger's real forward table (PortForwardTable): the forward's cost is
// the host's, and a TCG-emulated guest here would bury it under its own
// slowness. Paths measured: host → guest directly, host → 127.0.0.1:port
// (output hook + masquerade), and outside → host address:port (prerouting).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "bench_support.h"
#include "core/unique_fd.h"
#include "net/nat_forwarding.h"
#include "net/port_forward_table.h"
#include "bridged_vm.h"
#include "netns.h"

using namespace banger;
using banger::bench::stats;
using banger::bench::time_us;
using banger::bench::verdict;

namespace {

const int kIterations = banger::bench::count(3000, 50);
constexpr std::uint16_t kHostPort = 18080;

void enter(const std::string& netns) {
  UniqueFd fd(open(("/var/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid() || setns(fd.get(), CLONE_NEWNET) != 0) throw std::runtime_error("cannot enter " + netns);
}

sockaddr_in address_of(const std::string& ip, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  return a;
}

// Echoes one byte per connection, in `netns`, until stopped.
void echo_server(const std::string& netns, std::atomic<bool>& ready, std::atomic<bool>& stop) {
  enter(netns);
  UniqueFd listener(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int on = 1;
  setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  auto any = address_of("0.0.0.0", 80);
  if (bind(listener.get(), reinterpret_cast<sockaddr*>(&any), sizeof any) != 0 || listen(listener.get(), 128) != 0)
    throw std::runtime_error("echo server cannot listen");
  ready = true;
  while (!stop) {
    UniqueFd c(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!c.valid()) continue;
    char byte = 0;
    if (read(c.get(), &byte, 1) == 1) (void)!write(c.get(), &byte, 1);
  }
}

// One connect + round trip + close; throws when it does not come through.
void round_trip(const sockaddr_in& to) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int on = 1;
  setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  timeval timeout{2, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0)
    throw std::runtime_error("connect failed");
  char byte = 'x';
  if (write(fd.get(), &byte, 1) != 1 || read(fd.get(), &byte, 1) != 1) throw std::runtime_error("no echo");
}

void print(const std::string& what, const bench::Stats& s) {
  std::cout << fmt::format("  {:<40} median {:8.1f} us   mean {:8.1f} us   p99 {:8.1f} us\n", what, s.median_us,
                           s.mean_us, s.p99_us);
}

}  // namespace

int main() {
  if (auto why = test::netns_unavailable({})) {
    std::cout << "bench-forward: skipped: " << *why << "\n";
    return 77;  // skipped, as the tests do (bench-all reports it)
  }
  test::ScopedNetns guest(false), outside(false);
  test::ScopedNetns host;  // entered: the bench's own thread is "the host"
  auto commands = test::bridged_vm_commands(host, guest, outside);
  commands.emplace_back(&outside, "ip route add 10.201.0.0/24 via 192.0.2.1");  // the direct path from outside
  for (const auto& [ns, command] : commands) {
    if (ns->exec(command + " 2>&1").status != 0) {
      std::cerr << "bench-forward: setup failed: " << command << "\n";
      return 1;
    }
  }
  enable_ipv4_forwarding();
  // No NAT table: its forward chain would drop the outside's direct connections, the baseline.
  PortForwardTable().apply({{"tcp", kHostPort, "10.201.0.2", 80, "bgr0"}});

  std::atomic<bool> ready{false}, stop{false};
  std::thread server(echo_server, guest.name(), std::ref(ready), std::ref(stop));
  bench::wait_until([&] { return ready.load(); }, std::chrono::seconds(5), "the echo server");

  const auto direct = address_of("10.201.0.2", 80);
  const auto loopback = address_of("127.0.0.1", kHostPort);
  const auto host_address = address_of("192.0.2.1", kHostPort);
  // The outside's client runs on a thread of its own in the outside namespace, in step with the host's.
  std::vector<double> host_direct, host_forwarded, outside_direct, outside_forwarded;
  std::thread outside_client([&] {
    enter(outside.name());
    for (int i = 0; i < 50; ++i) round_trip(host_address), round_trip(direct);  // warm-up
    for (int i = 0; i < kIterations; ++i) {
      outside_direct.push_back(time_us([&] { round_trip(direct); }));
      outside_forwarded.push_back(time_us([&] { round_trip(host_address); }));
    }
  });
  outside_client.join();
  for (int i = 0; i < 50; ++i) round_trip(loopback), round_trip(direct);
  for (int i = 0; i < kIterations; ++i) {
    host_direct.push_back(time_us([&] { round_trip(direct); }));
    host_forwarded.push_back(time_us([&] { round_trip(loopback); }));
  }
  stop = true;
  try {
    round_trip(direct);  // wakes the server's accept
  } catch (const std::exception&) {
  }
  server.join();

  std::cout << fmt::format("bench-forward: connect + 1-byte round trip + close, {} interleaved iterations each\n",
                           kIterations);
  const auto hd = stats(host_direct), hf = stats(host_forwarded);
  const auto od = stats(outside_direct), of = stats(outside_forwarded);
  print("host → guest 10.201.0.2:80 (direct)", hd);
  print("host → 127.0.0.1:18080 (forwarded)", hf);
  print("outside → guest 10.201.0.2:80 (direct)", od);
  print("outside → 192.0.2.1:18080 (forwarded)", of);
  const double loopback_ratio = hf.median_us / hd.median_us;
  const double outside_ratio = of.median_us / od.median_us;
  std::cout << fmt::format("  loopback forward / direct: {:.3f}x   target <= 1.1x   {}\n", loopback_ratio,
                           verdict(loopback_ratio <= 1.1));
  std::cout << fmt::format("  outside forward / direct:  {:.3f}x   target <= 1.1x   {}\n", outside_ratio,
                           verdict(outside_ratio <= 1.1));
  bench::figure("forward.loopback_ratio", loopback_ratio, "x", "<=", 1.1,
                "forwarded port via 127.0.0.1 / direct (stand-in guest)");
  bench::figure("forward.outside_ratio", outside_ratio, "x", "<=", 1.1, "forwarded port from outside / direct");
  return 0;
}
