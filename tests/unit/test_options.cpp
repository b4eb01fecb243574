#include <gtest/gtest.h>

#include "core/errors.h"
#include "core/options.h"

namespace banger {
namespace {

const HostLimits limits{4, 8192};
const CreateDefaults defaults{1, 512, "default"};

std::string invalid_message(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_args) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected InvalidArgs";
  return {};
}

TEST(VmName, AcceptsDnsLabels) {
  for (const std::string& name : std::vector<std::string>{"a", "web", "web-1", "a0", std::string(63, 'x')}) EXPECT_NO_THROW(validate_vm_name(name));
}

TEST(VmName, RejectsEverythingElse) {
  for (const std::string& name : std::vector<std::string>{"", "1web", "-web", "Web", "we_b", "we.b", "wé", std::string(64, 'x'), "web\n"})
    EXPECT_FALSE(invalid_message([&] { validate_vm_name(name); }).empty()) << name;
}

TEST(CreateRequest, DefaultsApply) {
  auto spec = parse_create_request("web", {}, defaults, limits);
  EXPECT_EQ(spec.name, "web");
  EXPECT_EQ(spec.vcpus, 1u);
  EXPECT_EQ(spec.memory_mib, 512u);
  EXPECT_EQ(spec.image, "default");
}

TEST(CreateRequest, OptionsOverride) {
  auto spec = parse_create_request(
      "web", {{"vcpus", std::uint32_t{4}}, {"memory", std::uint32_t{128}}, {"image", std::string("alpine-3.19")}},
      defaults, limits);
  EXPECT_EQ(spec.vcpus, 4u);
  EXPECT_EQ(spec.memory_mib, 128u);
  EXPECT_EQ(spec.image, "alpine-3.19");
}

TEST(CreateRequest, RangesFollowTheHost) {
  EXPECT_NE(invalid_message([] { parse_create_request("w", {{"vcpus", std::uint32_t{0}}}, defaults, limits); })
                .find("'vcpus'"),
            std::string::npos);
  invalid_message([] { parse_create_request("w", {{"vcpus", std::uint32_t{5}}}, defaults, limits); });
  invalid_message([] { parse_create_request("w", {{"memory", std::uint32_t{127}}}, defaults, limits); });
  invalid_message([] { parse_create_request("w", {{"memory", std::uint32_t{8193}}}, defaults, limits); });
  EXPECT_NO_THROW(parse_create_request("w", {{"memory", std::uint32_t{8192}}}, defaults, limits));
}

TEST(CreateRequest, UnknownKeyIsNamed) {
  auto message = invalid_message([] { parse_create_request("w", {{"cpus", std::uint32_t{1}}}, defaults, limits); });
  EXPECT_NE(message.find("'cpus'"), std::string::npos);
}

TEST(CreateRequest, WrongTypeNamesKeyAndTypes) {
  auto message =
      invalid_message([] { parse_create_request("w", {{"vcpus", std::string("2")}}, defaults, limits); });
  EXPECT_NE(message.find("'vcpus'"), std::string::npos);
  EXPECT_NE(message.find("'u'"), std::string::npos);
  EXPECT_NE(message.find("'s'"), std::string::npos);
  auto odd = invalid_message(
      [] { parse_create_request("w", {{"memory", UnsupportedOption{"a{sv}"}}}, defaults, limits); });
  EXPECT_NE(odd.find("a{sv}"), std::string::npos);
  invalid_message([] { parse_create_request("w", {{"vcpus", std::int32_t{2}}}, defaults, limits); });
}

TEST(CreateRequest, BadImageName) {
  invalid_message([] { parse_create_request("w", {{"image", std::string("../etc")}}, defaults, limits); });
  invalid_message([] { parse_create_request("w", {{"image", std::string("")}}, defaults, limits); });
}

TEST(Changes, ParsesEachKey) {
  auto c = parse_changes({{"name", std::string("db")}, {"vcpus", std::uint32_t{2}}}, limits);
  EXPECT_EQ(c.name, "db");
  EXPECT_EQ(c.vcpus, 2u);
  EXPECT_FALSE(c.memory_mib);
  EXPECT_TRUE(c.touches_hardware());
  EXPECT_FALSE(parse_changes({{"name", std::string("db")}}, limits).touches_hardware());
}

TEST(Changes, RejectsEmptyUnknownAndInvalid) {
  invalid_message([] { parse_changes({}, limits); });
  invalid_message([] { parse_changes({{"image", std::string("x")}}, limits); });
  invalid_message([] { parse_changes({{"name", std::string("Bad Name")}}, limits); });
  invalid_message([] { parse_changes({{"memory", std::uint64_t{1024}}}, limits); });
}

TEST(HostLimits, ProbeSeesThisMachine) {
  auto probed = probe_host_limits();
  EXPECT_GE(probed.cpu_cores, 1u);
  EXPECT_GE(probed.memory_mib, 128u);
}

}  // namespace
}  // namespace banger
