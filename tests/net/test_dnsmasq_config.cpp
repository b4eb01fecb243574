// What a network's dnsmasq is told: files, command line, hosts table. No process.
#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include "net/dnsmasq_config.h"

namespace banger::net {
namespace {

using ::testing::Contains;
using ::testing::Not;
using ::testing::StartsWith;

NetworkRecord lab() {
  NetworkRecord n;
  n.name = "lab";
  n.bridge = "bg-lab";
  n.subnet = "10.50.0.0/24";
  n.gateway = "10.50.0.1";
  n.dns_domain = "lab.test";
  return n;
}

TEST(DnsmasqFiles, LiveInTheRuntimeDnsDirNamedByNetwork) {
  const auto files = dnsmasq_files("/run/banger", "lab");
  EXPECT_EQ(files.hosts, "/run/banger/dns/lab.hosts");
  EXPECT_EQ(files.pid, "/run/banger/dns/lab.pid");
  EXPECT_EQ(files.log, "/run/banger/dns/lab.log");
}

TEST(DnsmasqCommand, ListensOnTheGatewayOfTheBridgeOnly) {
  const auto command = dnsmasq_command("/usr/sbin/dnsmasq", lab(), dnsmasq_files("/run/banger", "lab"));
  ASSERT_FALSE(command.empty());
  EXPECT_EQ(command.front(), "/usr/sbin/dnsmasq");
  EXPECT_THAT(command, Contains("--bind-interfaces"));
  EXPECT_THAT(command, Contains("--listen-address=10.50.0.1"));
  EXPECT_THAT(command, Contains("--interface=bg-lab"));
  EXPECT_THAT(command, Contains("--except-interface=lo"));
}

TEST(DnsmasqCommand, AnswersTheDomainFromTheHostsFileAndNeverUpstream) {
  const auto command = dnsmasq_command("/usr/sbin/dnsmasq", lab(), dnsmasq_files("/run/banger", "lab"));
  EXPECT_THAT(command, Contains("--addn-hosts=/run/banger/dns/lab.hosts"));
  EXPECT_THAT(command, Contains("--local=/lab.test/"));
  EXPECT_THAT(command, Contains("--domain=lab.test"));
  EXPECT_THAT(command, Contains("--no-hosts"));
  EXPECT_THAT(command, Contains("--conf-file=/dev/null"));
  // Other names go to the host's resolv.conf servers: nothing turns that off.
  EXPECT_THAT(command, Not(Contains("--no-resolv")));
}

TEST(DnsmasqCommand, StaysInTheForegroundWithItsPidFileAndNoDhcp) {
  const auto command = dnsmasq_command("/usr/sbin/dnsmasq", lab(), dnsmasq_files("/run/banger", "lab"));
  EXPECT_THAT(command, Contains("--keep-in-foreground"));
  EXPECT_THAT(command, Contains("--pid-file=/run/banger/dns/lab.pid"));
  EXPECT_THAT(command, Contains("--no-dhcp-interface=bg-lab"));
  EXPECT_THAT(command, Not(Contains(StartsWith("--dhcp-range"))));
}

TEST(DnsmasqCommand, DiffersWhenTheNetworkDoes) {
  const auto files = dnsmasq_files("/run/banger", "lab");
  auto moved = lab();
  moved.gateway = "10.60.0.1";
  EXPECT_NE(dnsmasq_command("/usr/sbin/dnsmasq", lab(), files), dnsmasq_command("/usr/sbin/dnsmasq", moved, files));
}

TEST(RenderHosts, OneLineAnEntryWithFullAndShortName) {
  EXPECT_EQ(render_hosts({{"web", "10.50.0.2"}, {"db", "10.50.0.3"}}, "lab.test"),
            "10.50.0.2 web.lab.test web\n10.50.0.3 db.lab.test db\n");
}

TEST(RenderHosts, NoEntriesIsAnEmptyFile) { EXPECT_EQ(render_hosts({}, "banger"), ""); }

}  // namespace
}  // namespace banger::net
