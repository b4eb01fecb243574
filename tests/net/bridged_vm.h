#pragma once
// The layout of the traffic tests and benches: a "vm" namespace behind the
// bridge bgr0 (10.201.0.1/24) of a "host" namespace, as 10.201.0.2 with its
// default route there, and an "upstream" namespace on the host's veth up0
// (192.0.2.1/24) as 192.0.2.2.
#include <string>
#include <utility>
#include <vector>

#include "netns.h"

namespace banger::test {

// The commands that make it, each with the namespace it runs in.
inline std::vector<std::pair<const ScopedNetns*, std::string>> bridged_vm_commands(const ScopedNetns& host,
                                                                                   const ScopedNetns& vm,
                                                                                   const ScopedNetns& upstream) {
  return {{&host, "ip link set lo up"},
          {&host, "ip link add bgr0 type bridge"},
          {&host, "ip addr add 10.201.0.1/24 dev bgr0"},
          {&host, "ip link set bgr0 up"},
          {&host, "ip link add tap0 type veth peer name eth0 netns " + vm.name()},
          {&host, "ip link set tap0 master bgr0 up"},
          {&host, "ip link add up0 type veth peer name eth0 netns " + upstream.name()},
          {&host, "ip addr add 192.0.2.1/24 dev up0"},
          {&host, "ip link set up0 up"},
          {&vm, "ip addr add 10.201.0.2/24 dev eth0"},
          {&vm, "ip link set eth0 up"},
          {&vm, "ip route add default via 10.201.0.1"},
          {&upstream, "ip addr add 192.0.2.2/24 dev eth0"},
          {&upstream, "ip link set eth0 up"}};
}

// Makes the layout, then a TCP server on the vm's port 80 that answers each
// connection with the address it came from and ends by itself after 120 s
// should the test crash. Returns the server's pid, or -1 (`failed` set to the
// command) when a command fails.
inline int bridged_vm_with_server(const ScopedNetns& host, const ScopedNetns& vm, const ScopedNetns& upstream,
                                  std::string& failed) {
  for (const auto& [ns, command] : bridged_vm_commands(host, vm, upstream))
    if (ns->exec(command + " 2>&1").status != 0) {
      failed = command;
      return -1;
    }
  const std::string server =
      "import socket\n"
      "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
      "s.bind((\"0.0.0.0\", 80)); s.listen(16)\n"
      "while True:\n"
      "    c, a = s.accept(); c.sendall(a[0].encode()); c.close()\n";
  return std::stoi(
      run_command("ip netns exec " + vm.name() + " timeout 120 python3 -c '" + server + "' >/dev/null 2>&1 & echo $!")
          .out);
}

}  // namespace banger::test
