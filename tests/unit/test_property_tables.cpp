// The property tables (service/bus/*_properties.h) against the interface XML,
// read here on its own (not through the generator), and what the tables decide:
// a Get's value and the names a PropertiesChanged carries.

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "bus/image_properties.h"
#include "bus/network_properties.h"
#include "bus/operation_properties.h"
#include "bus/vm_properties.h"
#include "dev.banger.test.Sample_properties.h"
#include "unit_source_root.h"

namespace banger {
namespace {

namespace fs = std::filesystem;
using Properties = std::vector<std::pair<std::string, std::string>>;  // (name, D-Bus type)

Properties from_xml(const std::string& interface,
                    const fs::path& dir = fs::path(BANGER_SOURCE_ROOT) / "interfaces") {
  std::ifstream in(dir / (interface + ".xml"));
  std::stringstream text;
  text << in.rdbuf();
  const std::string xml = text.str();
  Properties out;
  static const std::regex property(R"re(<property\s+name="([^"]+)"\s+type="([^"]+)")re");
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), property); it != std::sregex_iterator(); ++it)
    out.emplace_back((*it)[1], (*it)[2]);
  return out;
}

// Each line's name, and the D-Bus type of the C++ type a Get answers with.
template <typename... Tags>
Properties from_table(properties::PropertyList<Tags...>) {
  return {{Tags::name, sdbus::signature_of<typename Tags::type>::str()}...};
}

template <typename Table>
Properties from_table(const Table&) {
  return from_table(typename Table::Tags{});
}

TEST(PropertyTables, EachTableHasTheXmlsPropertiesInItsOrderWithItsTypes) {
  const auto vm = from_xml("dev.banger.banger1.VM");
  ASSERT_GT(vm.size(), 30u) << "the XML was not read";
  EXPECT_EQ(from_table(properties::VM::table), vm);
  EXPECT_EQ(from_table(properties::Image::table), from_xml("dev.banger.banger1.Image"));
  EXPECT_EQ(from_table(properties::Network::table), from_xml("dev.banger.banger1.Network"));
  EXPECT_EQ(from_table(properties::Operation::table), from_xml("dev.banger.banger1.Operation"));
}

struct VmParts {
  VmRecord vm;
  VmNetworkProperties network;
  std::vector<AuthorizedKeyInfo> keys;
  stats::VmStats stats;
  std::vector<GuestPort> ports;
  std::vector<PortForward> forwards;
  VmView view() const { return {vm, network, keys, stats, ports, forwards}; }
};

TEST(PropertyTables, AGetAnswersTheLinesValueAsTheXmlsType) {
  VmParts parts;
  parts.vm.state = VmState::running;
  parts.forwards = {{"tcp", 8080, 80, false}};
  const auto& table = properties::VM::table;
  EXPECT_EQ(table.get<properties::VM::State>(parts.view()), "running");
  const auto forwards = table.get<properties::VM::Forwards>(parts.view());
  ASSERT_EQ(forwards.size(), 1u);
  EXPECT_EQ(forwards[0], (sdbus::Struct<std::string, std::uint16_t, std::uint16_t>{"tcp", 8080, 80}));

  OperationShown op;
  op.target = "/dev/banger/banger1/vm/abc";
  const sdbus::ObjectPath target = properties::Operation::table.get<properties::Operation::Target>(op);
  EXPECT_EQ(target, "/dev/banger/banger1/vm/abc");
}

TEST(PropertyTables, ChangesNameTheDifferingPropertiesInTheXmlsOrder) {
  VmParts before;
  VmParts after = before;
  after.vm.memory_mib = before.vm.memory_mib * 2;
  after.vm.state = VmState::running;
  after.network.ipv4_address = "10.0.0.2";
  after.ports = {{"tcp", 22, "sshd"}};
  EXPECT_EQ(properties::VM::table.changed(before.view(), after.view()),
            (std::vector<std::string>{"State", "MemoryMiB", "IPv4Address", "Ports"}));
  EXPECT_TRUE(properties::VM::table.changed(after.view(), after.view()).empty());
}

TEST(PropertyTables, ConstPropertiesAreNeverNamedAsChanged) {
  // Image: every property but IsDefault is EmitsChangedSignal=const in the XML.
  ImageRecord before;
  ImageRecord after = before;
  after.name = "renamed";
  after.size_bytes = 1;
  EXPECT_TRUE(properties::Image::table.changed(before, after).empty());
  after.is_default = true;
  EXPECT_EQ(properties::Image::table.changed(before, after), std::vector<std::string>{"IsDefault"});
}

// The sample interface (tests/unit/sample): a record, its table, and nothing else.
struct SampleRecord {
  std::string name;
  std::uint64_t size_bytes = 0;
  std::map<std::string, std::string> labels;
};

namespace sample {
using namespace properties::Sample;
inline constexpr auto table = property_table<SampleRecord>(
    line<Name>([](const SampleRecord& r) -> auto& { return r.name; }),
    line<SizeBytes>([](const SampleRecord& r) { return r.size_bytes; }),
    line<Labels>([](const SampleRecord& r) -> auto& { return r.labels; }));
static_assert(covers_exactly<decltype(table), All>);
}  // namespace sample

TEST(PropertyTables, ASampleInterfaceIsItsXmlARecordAndATable) {
  const fs::path dir = fs::path(BANGER_SOURCE_ROOT) / "tests" / "unit" / "sample";
  EXPECT_EQ(from_table(sample::table), from_xml("dev.banger.test.Sample", dir));
  SampleRecord before{"a", 1, {}};
  SampleRecord after{"b", 2, {{"team", "infra"}}};
  EXPECT_EQ(sample::table.get<properties::Sample::SizeBytes>(after), 2u);
  EXPECT_EQ(sample::table.get<properties::Sample::Labels>(after), (std::map<std::string, std::string>{{"team", "infra"}}));
  // Name is const in the XML: never named as changed.
  EXPECT_EQ(sample::table.changed(before, after), (std::vector<std::string>{"SizeBytes", "Labels"}));
}

}  // namespace
}  // namespace banger
