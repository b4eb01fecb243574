// The fuzz client's own parts, without a bus: it reads every method of the
// contract, its signatures split right, and its answer check refuses what it
// must (an undocumented or internal error, a message-less error), so a green
// bus-fuzz means something.
#include <filesystem>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "introspection.h"
#include "reply_check.h"

namespace banger::busfuzz {
namespace {

const std::filesystem::path xml_dir() {
  const char* root = std::getenv("BANGER_SOURCE_ROOT");
  return std::filesystem::path(root ? root : ".") / "interfaces";
}

TEST(BusFuzzChecks, ReadsEveryMethodOfTheContract) {
  const auto interfaces = read_interfaces(xml_dir());
  std::set<std::string> names;
  const Method* create = nullptr;
  const Method* read_console = nullptr;
  for (const auto& i : interfaces)
    for (const auto& m : i.methods) {
      names.insert(i.name + "." + m.name);
      if (m.name == "CreateVM") create = &m;
      if (m.name == "ReadConsole") read_console = &m;
    }
  EXPECT_EQ(names.size(), 43u) << "Manager 16, VM 21, Network 2, Image 1, Snapshot 3";
  // The checkpoints' methods, which bus-fuzz must reach on real objects (test_bus_fuzz.cpp).
  for (const char* method : {"dev.banger.banger1.VM.Snapshot", "dev.banger.banger1.Snapshot.Restore",
                             "dev.banger.banger1.Snapshot.Delete", "dev.banger.banger1.Snapshot.Clone"})
    EXPECT_TRUE(names.count(method)) << method;
  ASSERT_TRUE(create && read_console);
  EXPECT_EQ(create->in, "sa{sv}");
  EXPECT_EQ(create->out, "oo");
  EXPECT_EQ(read_console->in, "tu");
  EXPECT_EQ(read_console->out, "ayt");
}

TEST(BusFuzzChecks, SplitsSignaturesIntoCompleteTypes) {
  EXPECT_EQ(split_signature("sa{sv}"), (std::vector<std::string>{"s", "a{sv}"}));
  EXPECT_EQ(split_signature("a(ssso)aas(ii)v"), (std::vector<std::string>{"a(ssso)", "aas", "(ii)", "v"}));
  EXPECT_TRUE(split_signature("").empty());
}

TEST(BusFuzzChecks, RefusesUndocumentedInternalAndMessagelessErrors) {
  const auto interfaces = read_interfaces(xml_dir());
  const ReplyCheck check(interfaces, read_documented_errors(xml_dir()));
  Call call{"/dev/banger/banger1", "dev.banger.banger1.Manager", "GetVM", "s", nullptr, "", ""};
  auto error = [](const char* name, const char* message) { return sd_bus_error{name, message, 0}; };
  EXPECT_EQ(check.check_error(call, error("dev.banger.banger1.Error.NoSuchVM", "no VM 'x'")), "");
  EXPECT_EQ(check.check_error(call, error("org.freedesktop.DBus.Error.NotSupported", "no relay")), "")
      << "documented in the XML (OpenConsole)";
  EXPECT_NE(check.check_error(call, error("org.freedesktop.DBus.Error.Failed", "internal error: boom")), "");
  EXPECT_NE(check.check_error(call, error("org.freedesktop.DBus.Error.NoReply", "timeout")), "");
  EXPECT_NE(check.check_error(call, error("System.Error.ENOTCONN", "gone")), "");
  EXPECT_NE(check.check_error(call, error("dev.banger.banger1.Error.NoSuchVM", "")), "");
}

}  // namespace
}  // namespace banger::busfuzz
