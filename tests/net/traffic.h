#pragma once
// One exchange of real traffic between namespaces of a test's own, for the
// tests of banger's nftables tables.
#include <string>

#include "netns.h"

namespace banger::test {

// Where the server listens and where the client sends: the same address, or
// another when a DNAT (a port forward) is to steer the client's packets there.
struct Exchange {
  std::string proto;  // "tcp" | "udp"
  std::string server_address;
  int server_port;
  std::string client_address = {};  // empty: server_address
  int client_port = 0;              // 0: server_port
};

// One connection (tcp) or one datagram with an answer (udp) from `client_ns`
// to a server `server_ns` runs; true when it got through.
inline bool gets_through(const ScopedNetns& server_ns, const ScopedNetns& client_ns, const Exchange& e) {
  const std::string kind = e.proto == "tcp" ? "socket.SOCK_STREAM" : "socket.SOCK_DGRAM";
  const std::string bind = "(\"" + e.server_address + "\", " + std::to_string(e.server_port) + ")";
  const std::string target = "(\"" + (e.client_address.empty() ? e.server_address : e.client_address) + "\", " +
                             std::to_string(e.client_port == 0 ? e.server_port : e.client_port) + ")";
  const std::string server =
      "import socket; s = socket.socket(socket.AF_INET, " + kind +
      "); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(" + bind + "); s.settimeout(8)\n" +
      (e.proto == "tcp" ? "s.listen(1); c = s.accept()[0]; c.sendall(b\"hi\"); c.close()\n"
                        : "d, peer = s.recvfrom(64); s.sendto(b\"hi\", peer)\n");
  // Tries for 5 s: the server may still be starting (refused, or no answer yet);
  // a dropped packet never gets an answer.
  const std::string client =
      "import socket, time\n"
      "deadline = time.time() + 5\n"
      "while time.time() < deadline:\n"
      "    s = socket.socket(socket.AF_INET, " + kind + "); s.settimeout(1)\n"
      "    try:\n" +
      (e.proto == "tcp" ? "        s.connect(" + target + ")\n" : "        s.sendto(b\"q\", " + target + ")\n") +
      "        print(s.recv(64).decode()); break\n"
      "    except OSError:\n"
      "        time.sleep(0.1)\n";
  const auto seen = run_command("ip netns exec " + server_ns.name() + " python3 -c '" + server +
                                "' >/dev/null 2>&1 & ip netns exec " + client_ns.name() + " python3 -c '" + client +
                                "' 2>/dev/null; kill %1 2>/dev/null; wait");
  return seen.out == "hi\n";
}

// The same address and port on both sides.
inline bool gets_through(const ScopedNetns& server_ns, const ScopedNetns& client_ns, const std::string& proto,
                         const std::string& address, int port) {
  return gets_through(server_ns, client_ns, Exchange{proto, address, port});
}

}  // namespace banger::test
