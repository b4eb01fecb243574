// The guest's port listing (ports/guest_port_listing.h) parsed from real
// output: guest_port_listing_command run by busybox sh in a fresh pid and
// network namespace holding busybox httpd and nc, and a python3 with listeners
// on the wildcard, loopback and specific addresses of IPv4 and IPv6, an
// established TCP connection and a connected UDP socket.
#include <gtest/gtest.h>

#include <string>

#include <fmt/format.h>

#include "core/errors.h"
#include "error_kind.h"
#include "ports/guest_port_listing.h"

namespace banger {
namespace {

constexpr const char* kCaptured = R"(net/tcp:  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     
net/tcp:   0: 00000000:20FB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1727501 1 000000007736f54f 100 0 0 10 0                   
net/tcp:   1: 0200000A:1B58 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1727499 1 00000000feedaea5 100 0 0 10 0                   
net/tcp:   2: 00000000:08AE 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1727504 1 000000005f1f17ae 100 0 0 10 0                   
net/tcp:   3: 0100007F:1770 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1727497 1 00000000572ff11c 100 0 0 10 0                   
net/tcp:   4: 0100007F:BAF6 0100007F:08AE 01 00000000:00000000 00:00000000 00000000     0        0 1727505 2 00000000dd294ccb 20 0 0 10 -1                   
net/tcp:   5: 0100007F:08AE 0100007F:BAF6 01 00000000:00000000 00:00000000 00000000     0        0 1727506 1 00000000c1958fd1 20 0 0 10 -1                   
net/tcp6:  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
net/tcp6:   0: 00000000000000000000000000000000:20FB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1727502 1 000000000189d4df 100 0 0 10 0
net/tcp6:   1: 00000000000000000000000000000000:2328 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1726789 1 000000000a5311d7 100 0 0 10 0
net/tcp6:   2: 000000FD000000000000000002000000:1B59 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1727500 1 0000000089302e3a 100 0 0 10 0
net/tcp6:   3: 00000000000000000000000001000000:1771 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1727498 1 0000000079ffd8e2 100 0 0 10 0
net/tcp6:   4: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1726777 1 0000000051d4c6e8 100 0 0 10 0
net/udp:   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops            
net/udp: 4793: 0200000A:ACBE 0900000A:0FA0 01 00000000:00000000 00:00000000 00000000     0        0 1727507 2 000000002b03566f 0       
net/udp6:  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
net/udp6: 9776: 00000000000000000000000000000000:0035 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1727503 2 000000008e647284 0
1/comm:bash
10/comm:busybox
12/comm:python3
88/comm:busybox
9/comm:busybox
1/fd:
total 0
lr-x------    1 root     root            64 Nov 26 15:16 0 -> /dev/null
l-wx------    1 root     root            64 Nov 26 15:16 1 -> /tmp/bash_jobs.0/e9b74e40118d/stdout
lr-x------    1 root     root            64 Nov 26 15:16 10 -> /dev/null
l-wx------    1 root     root            64 Nov 26 15:16 2 -> /tmp/bash_jobs.0/e9b74e40118d/stderr
l-wx------    1 root     root            64 Nov 26 15:16 251 -> pipe:[1726686]
lr-x------    1 root     root            64 Nov 26 15:16 255 -> /tmp/ports-capture/inner.sh

10/fd:
total 0
lr-x------    1 root     root            64 Nov 26 15:16 0 -> /dev/null
l-wx------    1 root     root            64 Nov 26 15:16 1 -> /dev/null
lr-x------    1 root     root            64 Nov 26 15:16 10 -> /dev/null
l-wx------    1 root     root            64 Nov 26 15:16 2 -> /dev/null
l-wx------    1 root     root            64 Nov 26 15:16 251 -> pipe:[1726686]
lrwx------    1 root     root            64 Nov 26 15:16 3 -> socket:[1726789]

12/fd:
total 0
lr-x------    1 root     root            64 Nov 26 15:16 0 -> pipe:[1725534]
l-wx------    1 root     root            64 Nov 26 15:16 1 -> /tmp/bash_jobs.0/e9b74e40118d/stdout
lr-x------    1 root     root            64 Nov 26 15:16 10 -> /dev/null
lrwx------    1 root     root            64 Nov 26 15:16 11 -> socket:[1727504]
lrwx------    1 root     root            64 Nov 26 15:16 12 -> socket:[1727505]
lrwx------    1 root     root            64 Nov 26 15:16 13 -> socket:[1727506]
lrwx------    1 root     root            64 Nov 26 15:16 14 -> socket:[1727507]
l-wx------    1 root     root            64 Nov 26 15:16 2 -> /tmp/bash_jobs.0/e9b74e40118d/stderr
l-wx------    1 root     root            64 Nov 26 15:16 251 -> pipe:[1726686]
lrwx------    1 root     root            64 Nov 26 15:16 3 -> socket:[1727497]
lrwx------    1 root     root            64 Nov 26 15:16 4 -> socket:[1727498]
lrwx------    1 root     root            64 Nov 26 15:16 5 -> socket:[1727499]
lrwx------    1 root     root            64 Nov 26 15:16 6 -> socket:[1727500]
lrwx------    1 root     root            64 Nov 26 15:16 7 -> socket:[1727501]
lrwx------    1 root     root            64 Nov 26 15:16 8 -> socket:[1727502]
lrwx------    1 root     root            64 Nov 26 15:16 9 -> socket:[1727503]

88/fd:
total 0
lr-x------    1 root     root            64 Nov 26 15:16 0 -> /dev/null
l-wx------    1 root     root            64 Nov 26 15:16 1 -> /tmp/ports-capture/listing.txt
lr-x------    1 root     root            64 Nov 26 15:16 10 -> /dev/null
l-wx------    1 root     root            64 Nov 26 15:16 11 -> /tmp/bash_jobs.0/e9b74e40118d/stderr
l-wx------    1 root     root            64 Nov 26 15:16 2 -> /dev/null
l-wx------    1 root     root            64 Nov 26 15:16 251 -> pipe:[1726686]

9/fd:
total 0
lrwx------    1 root     root            64 Nov 26 15:16 0 -> /dev/null
lrwx------    1 root     root            64 Nov 26 15:16 1 -> /dev/null
lr-x------    1 root     root            64 Nov 26 15:16 10 -> /dev/null
lrwx------    1 root     root            64 Nov 26 15:16 2 -> /dev/null
l-wx------    1 root     root            64 Nov 26 15:16 251 -> pipe:[1726686]
lrwx------    1 root     root            64 Nov 26 15:16 3 -> socket:[1726777]
banger-ports-end
)";

TEST(GuestPortListing, ListsReachableListenersOnceWithTheirProcess) {
  const std::vector<GuestPort> expected{
      {"tcp", 2222, "python3"},  // 0.0.0.0, with an established connection beside it
      {"tcp", 7000, "python3"},  // 10.0.0.2 only
      {"tcp", 7001, "python3"},  // fd00::2 only
      {"tcp", 8080, "busybox"},  // httpd on ::
      {"tcp", 8443, "python3"},  // 0.0.0.0 and :: (v6only): once
      {"tcp", 9000, "busybox"},  // nc -l on ::
      {"udp", 53, "python3"},    // :: dual-stack, unconnected
  };
  EXPECT_EQ(parse_guest_port_listing(kCaptured), expected);
}

TEST(GuestPortListing, TheCommandIsWhatWasCaptured) {
  // The capture above ran this very command; a change to it needs a new capture.
  EXPECT_STREQ(guest_port_listing_command,
               "cd /proc && grep -H . net/tcp net/tcp6 net/udp net/udp6 [0-9]*/comm 2>/dev/null;"
               " ls -l [0-9]*/fd 2>/dev/null; echo banger-ports-end");
}

std::string listing(const std::string& sockets, const std::string& processes = "") {
  return sockets + processes + "banger-ports-end\n";
}

const std::string kTcpHeader =
    "net/tcp:  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";

std::string tcp_line(const std::string& local, const std::string& state, const std::string& inode) {
  return "net/tcp:   0: " + local + " 00000000:0000 " + state +
         " 00000000:00000000 00:00000000 00000000     0        0 " + inode + " 1 0000000000000000 100 0 0 10 0\n";
}
std::string tcp6_line(const std::string& local, const std::string& inode) {
  return "net/tcp6:   0: " + local + " 00000000000000000000000000000000:0000 0A"
         " 00000000:00000000 00:00000000 00000000     0        0 " + inode + " 1 0000000000000000 100 0 0 10 0\n";
}

TEST(GuestPortListing, LoopbackOnlyListenersAreLeftOut) {
  const auto text = listing(kTcpHeader + tcp_line("0100007F:1770", "0A", "11") +    // 127.0.0.1:6000
                            tcp_line("0101017F:1771", "0A", "12") +                  // 127.1.1.1:6001
                            tcp6_line("00000000000000000000000001000000:1772", "13") +  // ::1
                            tcp6_line("0000000000000000FFFF00000100007F:1773", "14") +  // ::ffff:127.0.0.1
                            tcp6_line("0000000000000000FFFF00000200000A:1774", "15"));  // ::ffff:10.0.0.2
  EXPECT_EQ(parse_guest_port_listing(text), (std::vector<GuestPort>{{"tcp", 0x1774, ""}}));
}

TEST(GuestPortListing, OnlyListeningTcpSocketsCount) {
  const auto text = listing(tcp_line("00000000:0050", "0A", "21") +   // LISTEN
                            tcp_line("0200000A:0051", "01", "22") +   // ESTABLISHED
                            tcp_line("0200000A:0052", "06", "0") +    // TIME_WAIT
                            tcp_line("00000000:0000", "0A", "23"));   // port 0: not a listener
  EXPECT_EQ(parse_guest_port_listing(text), (std::vector<GuestPort>{{"tcp", 80, ""}}));
}

TEST(GuestPortListing, TheLowestPidHoldingASocketNamesIt) {
  // A forking server: parent (pid 40) and child (pid 77) share the socket; pid 90 holds another.
  const auto text = listing(tcp_line("00000000:0050", "0A", "500") + tcp6_line("00000000000000000000000000000000:0050", "501"),
                            "40/comm:httpd\n77/comm:httpd-child\n90/comm:other\n"
                            "77/fd:\ntotal 0\nlrwx------    1 root     root            64 Nov 26 15:16 3 -> socket:[500]\n\n"
                            "90/fd:\nlrwx------    1 root     root            64 Nov 26 15:16 3 -> socket:[501]\n\n"
                            "40/fd:\nlrwx------    1 root     root            64 Nov 26 15:16 3 -> socket:[500]\n"
                            "lrwx------    1 root     root            64 Nov 26 15:16 4 -> /dev/null\n");
  EXPECT_EQ(parse_guest_port_listing(text), (std::vector<GuestPort>{{"tcp", 80, "httpd"}}));
}

TEST(GuestPortListing, NoListenersIsAnEmptyList) {
  EXPECT_EQ(parse_guest_port_listing(listing(kTcpHeader)), std::vector<GuestPort>{});
}

TEST(GuestPortListing, AListingCutShortIsAnError) {
  const std::string full = kCaptured;
  const auto cut = full.substr(0, full.find("banger-ports-end"));
  const auto kind = [](const std::string& text) {
    return testing::kind_of([&] { parse_guest_port_listing(text); });
  };
  EXPECT_EQ(kind(cut), ErrorKind::backend_failed);
  EXPECT_EQ(kind(""), ErrorKind::backend_failed);
  EXPECT_EQ(kind("banger-ports-end\n" + tcp_line("00000000:0050", "0A", "1")), ErrorKind::backend_failed);
}

TEST(GuestPortListing, GarbledLinesAreSkipped) {
  const auto text = listing("net/tcp:   0: zz:0050 00000000:0000 0A\n" + tcp_line("00000000:GGGG", "0A", "1") +
                            tcp_line("000000:0050", "0A", "1") + "net/udp:   7: 00000000:0035\n" +
                            tcp_line("00000000:0016", "0A", "7"),
                            "x/comm:nobody\n7/fd:\nlrwx 1 root root 64 3 -> socket:[nope]\n");
  EXPECT_EQ(parse_guest_port_listing(text), (std::vector<GuestPort>{{"tcp", 22, ""}}));
}

// Issue 17, extra C: what a guest lists becomes VM.Ports, broadcast on every change, and
// the ports forwarded: a guest listening on thousands of ports, its process named in
// megabytes, is cut to its lowest 256 ports, each name to 64 bytes of valid UTF-8.
TEST(GuestPortListing, AGuestsListIsCutToABoundedSize) {
  constexpr std::size_t guest_ports_max = 256, guest_port_process_max = 64;
  std::string sockets, descriptors = "1/fd:\n";
  for (int port = 1; port <= 3000; ++port) {
    const std::string inode = std::to_string(100000 + port);
    sockets += tcp_line(fmt::format("00000000:{:04X}", port), "0A", inode);
    descriptors += "lrwx------ 1 root root 64 Nov 26 15:16 " + std::to_string(port) + " -> socket:[" + inode + "]\n";
  }
  const std::string name = std::string(guest_port_process_max - 1, 'x') + "\xc3\xa9" + std::string(1 << 20, 'y');
  const auto ports = parse_guest_port_listing(listing(sockets, "1/comm:" + name + "\n" + descriptors));
  ASSERT_EQ(ports.size(), guest_ports_max);
  EXPECT_EQ(ports.front().port, 1);
  EXPECT_EQ(ports.back().port, guest_ports_max);
  // The two-byte character that would straddle the cut is left out whole.
  EXPECT_EQ(ports.front().process, std::string(guest_port_process_max - 1, 'x'));
}

}  // namespace
}  // namespace banger
