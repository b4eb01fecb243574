// route_localnet is turned on only once banger's forward table, and with it the
// guard that drops 127/8 packets coming in from a bridge, is in place (issue
// 17): were it written first, a failing or late nft batch would leave the
// bridge accepting loopback-addressed packets from guests with no guard. The
// test makes the batch fail (a thread without CAP_NET_ADMIN, in a namespace of
// its own) and looks at a route_localnet switch of its own.
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "core/errors.h"
#include "net/port_forward_table.h"
#include "netns.h"

namespace banger {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(PortForwardGuardOrder, RouteLocalnetStaysOffWhenTheTableWithItsGuardCannotBeApplied) {
  if (const auto why = test::netns_unavailable({.programs = {"nft"}})) GTEST_SKIP() << *why;
  test::ScopedNetns ns;  // should nft take the batch after all, it lands here
  const fs::path proc_sys = fs::temp_directory_path() / ("banger-route-localnet-" + std::to_string(getpid()));
  fs::create_directories(proc_sys / "bgr0");
  std::ofstream(proc_sys / "bgr0" / "route_localnet") << "0\n";

  std::string failure;
  bool refused = false;
  // Capabilities are per thread: only this one loses them.
  std::thread([&] {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (syscall(SYS_capset, &header, data) != 0) {
      failure = "capset failed";
      return;
    }
    try {
      PortForwardTable(proc_sys).apply({{"tcp", 18080, "10.201.0.2", 80, "bgr0"}});
    } catch (const Error&) {
      refused = true;
    }
  }).join();
  const auto route_localnet = read_file(proc_sys / "bgr0" / "route_localnet");
  fs::remove_all(proc_sys);
  ASSERT_EQ(failure, "");
  ASSERT_TRUE(refused) << "nftables took the batch without CAP_NET_ADMIN";
  EXPECT_EQ(route_localnet, "0\n") << "route_localnet went on before the guard existed";
}

}  // namespace
}  // namespace banger
