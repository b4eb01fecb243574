// forward_ports at CreateVM and Set, and the forward checks of core/port_forward.h.
#include <gtest/gtest.h>

#include "core/options.h"
#include "core/port_forward.h"
#include "error_kind.h"

namespace banger {
namespace {

using testing::kind_of;

const HostLimits limits{4, 8192};
const CreateDefaults defaults{1, 512, "default"};

TEST(ForwardPortsOption, OffUnlessAskedForAtCreate) {
  EXPECT_FALSE(parse_create_request("web", {}, defaults, limits).forward_ports);
  EXPECT_TRUE(parse_create_request("web", {{"forward_ports", true}}, defaults, limits).forward_ports);
  EXPECT_EQ(kind_of([] { parse_create_request("web", {{"forward_ports", std::uint32_t{1}}}, defaults, limits); }),
            ErrorKind::invalid_args);
}

TEST(ForwardPortsOption, SetChangesItWithoutTouchingHardware) {
  const auto changes = parse_changes({{"forward_ports", false}}, limits);
  ASSERT_TRUE(changes.forward_ports.has_value());
  EXPECT_FALSE(*changes.forward_ports);
  EXPECT_FALSE(changes.touches_hardware()) << "so it may change while the VM runs";
  EXPECT_EQ(kind_of([] { parse_changes({{"forward_ports", std::string("yes")}}, limits); }), ErrorKind::invalid_args);
}

TEST(ForwardChecks, ProtocolsPortsAndPrivilegedHostPorts) {
  EXPECT_NO_THROW(validate_forward("tcp", 1024, 1));
  EXPECT_NO_THROW(validate_forward("udp", 65535, 65535));
  EXPECT_EQ(kind_of([] { validate_forward("TCP", 8080, 80); }), ErrorKind::invalid_args);
  EXPECT_EQ(kind_of([] { validate_forward("", 8080, 80); }), ErrorKind::invalid_args);
  EXPECT_EQ(kind_of([] { validate_forward("tcp", 0, 80); }), ErrorKind::invalid_args);
  EXPECT_EQ(kind_of([] { validate_forward("tcp", 8080, 0); }), ErrorKind::invalid_args);
  EXPECT_EQ(kind_of([] { validate_forward("tcp", 1023, 80); }), ErrorKind::invalid_args);
}

}  // namespace
}  // namespace banger
