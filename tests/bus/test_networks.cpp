// (h) Networks as objects: the default network out of the box, CreateNetwork
// with its validation, properties, ListNetworks/GetNetwork, SetNAT's signal,
// DeleteNetwork, GetManagedObjects, and manage-networks authorization.
// bangerd-test has no host networking (DaemonExtensions::host_networks unset),
// so nothing here touches the host's interfaces; leases are unit-tested.
#include <map>
#include <string>
#include <vector>

#include "banger/object_path.h"
#include "test_support.h"

namespace banger::test {
namespace {

namespace err = banger::bus::error;
const std::string kNetwork = banger::bus::network_interface;
const std::string kNoInteraction = "--allow-interactive-authorization=no";
using NetworkRow = sdbus::Struct<std::string, std::string, bool, sdbus::ObjectPath>;

class Networks : public ClientTest {
 protected:
  void SetUp() override {
    ClientTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    connection_ = sdbus::createSessionBusConnectionWithAddress(env().address());
    manager_ = sdbus::createProxy(*connection_, kService, kRoot);
  }
  void TearDown() override {
    for (const auto& name : made_) error_of([&] { delete_network(name); });
    ClientTest::TearDown();
  }

  std::string create(const std::string& name, const Options& options = {}) {
    sdbus::ObjectPath path;
    manager_->callMethod("CreateNetwork").onInterface(kManager).withArguments(name, options).storeResultsTo(path);
    made_.push_back(name);
    return path;
  }
  std::vector<NetworkRow> list() {
    std::vector<NetworkRow> rows;
    manager_->callMethod("ListNetworks").onInterface(kManager).storeResultsTo(rows);
    return rows;
  }
  std::string get(const std::string& name) {
    sdbus::ObjectPath path;
    manager_->callMethod("GetNetwork").onInterface(kManager).withArguments(name).storeResultsTo(path);
    return path;
  }
  void delete_network(const std::string& name) {
    manager_->callMethod("DeleteNetwork").onInterface(kManager).withArguments(name);
  }
  sdbus::Variant property(const std::string& path, const std::string& name) {
    auto proxy = sdbus::createProxy(*connection_, kService, path);
    return proxy->getProperty(name).onInterface(kNetwork);
  }
  std::string text(const std::string& path, const std::string& name) {
    return property(path, name).get<std::string>();
  }
  std::optional<sdbus::Error> create_error(const std::string& name, const Options& options = {}) {
    return error_of([&] { create(name, options); });
  }

  std::unique_ptr<sdbus::IConnection> connection_;
  std::unique_ptr<sdbus::IProxy> manager_;
  std::vector<std::string> made_;
};

TEST_F(Networks, TheDefaultNetworkIsThereOutOfTheBox) {
  const auto path = get("default");
  EXPECT_EQ(path, bus::network_path("default"));
  EXPECT_EQ(bus::network_name_from_path(path), "default");
  EXPECT_EQ(text(path, "Name"), "default");
  EXPECT_EQ(text(path, "Bridge"), "bg-default");
  EXPECT_EQ(text(path, "Subnet"), "10.219.0.0/24");
  EXPECT_EQ(text(path, "Gateway"), "10.219.0.1");
  EXPECT_TRUE(property(path, "NAT").get<bool>());
  EXPECT_EQ(text(path, "DNSDomain"), "banger");
  EXPECT_TRUE((property(path, "Leases").get<std::map<std::string, std::string>>().empty()));
  auto refused = error_of([&] { delete_network("default"); });
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->getName(), err::invalid_state) << refused->getMessage();
}

TEST_F(Networks, CreateExportsTheNetworkWithItsProperties) {
  const auto path = create("lab", {{"subnet", sdbus::Variant(std::string("192.168.77.0/24"))},
                                   {"nat", sdbus::Variant(false)},
                                   {"dns_domain", sdbus::Variant(std::string("lab.test"))}});
  EXPECT_EQ(path, bus::network_path("lab"));
  auto added = recorder_->wait_for([&](const Signal& s) { return s.member == "InterfacesAdded" && s.object == path; });
  ASSERT_TRUE(added);
  EXPECT_EQ(to_string(added->properties.at("Subnet")), "192.168.77.0/24");
  EXPECT_EQ(text(path, "Gateway"), "192.168.77.1");
  EXPECT_EQ(text(path, "Bridge"), "bg-lab");
  EXPECT_FALSE(property(path, "NAT").get<bool>());
  EXPECT_EQ(text(path, "DNSDomain"), "lab.test");

  auto rows = list();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].get<0>(), "lab");
  EXPECT_EQ(rows[1].get<1>(), "192.168.77.0/24");
  EXPECT_FALSE(rows[1].get<2>());
  EXPECT_EQ(std::string(rows[1].get<3>()), path);

  // Without a subnet: the next free block after the default network's.
  EXPECT_EQ(text(create("auto"), "Subnet"), "10.219.1.0/24");
}

TEST_F(Networks, SetNatEmitsPropertiesChanged) {
  const auto path = create("natted");
  auto proxy = sdbus::createProxy(*connection_, kService, path);
  proxy->callMethod("SetNAT").onInterface(kNetwork).withArguments(false);
  EXPECT_FALSE(property(path, "NAT").get<bool>());
  auto changed = recorder_->wait_for([&](const Signal& s) {
    return s.path == path && s.member == "PropertiesChanged" && s.properties.contains("NAT");
  });
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->properties.at("NAT"), Value{false});
  proxy->callMethod("SetNAT").onInterface(kNetwork).withArguments(true);
  EXPECT_TRUE(property(path, "NAT").get<bool>());
}

TEST_F(Networks, DeleteRemovesTheObject) {
  const auto path = create("gone");
  auto proxy = sdbus::createProxy(*connection_, kService, path);
  proxy->callMethod("Delete").onInterface(kNetwork);
  auto removed = recorder_->wait_for([&](const Signal& s) { return s.member == "InterfacesRemoved" && s.object == path; });
  EXPECT_TRUE(removed);
  auto missing = error_of([&] { get("gone"); });
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->getName(), err::no_such_network);
  auto again = error_of([&] { delete_network("gone"); });
  ASSERT_TRUE(again);
  EXPECT_EQ(again->getName(), err::no_such_network);
}

TEST_F(Networks, BadInputIsRefusedAndLeavesNothing) {
  create("first", {{"subnet", sdbus::Variant(std::string("10.40.0.0/24"))}});
  struct Case {
    std::string name;
    Options options;
    std::string error;
  };
  const std::vector<Case> cases{
      {"Bad_Name", {}, err::invalid_args},
      {"much-too-long-name", {}, err::invalid_args},
      {"x", {{"subnet", sdbus::Variant(std::string("10.40.0.0/16"))}}, err::invalid_args},   // overlaps "first"
      {"x", {{"subnet", sdbus::Variant(std::string("8.8.8.0/24"))}}, err::invalid_args},     // not private
      {"x", {{"subnet", sdbus::Variant(std::string("10.41.0.7/24"))}}, err::invalid_args},   // host bits
      {"x", {{"subnet", sdbus::Variant(std::string("10.41.0.0/30"))}}, err::invalid_args},   // too small
      {"x", {{"subnet", sdbus::Variant(std::uint32_t{24})}}, err::invalid_args},             // wrong type
      {"x", {{"nat", sdbus::Variant(std::string("yes"))}}, err::invalid_args},
      {"x", {{"dns_domain", sdbus::Variant(std::string("a..b"))}}, err::invalid_args},
      {"x", {{"colour", sdbus::Variant(std::string("red"))}}, err::invalid_args},
      {"first", {}, err::exists},
  };
  for (const auto& c : cases) {
    auto e = create_error(c.name, c.options);
    ASSERT_TRUE(e) << c.name;
    EXPECT_EQ(e->getName(), c.error) << c.name << ": " << e->getMessage();
    EXPECT_FALSE(e->getMessage().empty());
  }
  made_ = {"first"};
  EXPECT_EQ(list().size(), 2u) << "only default and first";
  auto empty = error_of([&] { get(""); });
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->getName(), err::invalid_args);
}

TEST_F(Networks, GetManagedObjectsListsNetworks) {
  const auto path = create("managed");
  auto r = env().busctl("root", {"--json=short", "call", kService, kRoot, kObjectManager, "GetManagedObjects"});
  ASSERT_TRUE(r.ok()) << r.describe();
  auto objects = busctl_data(r)[0];
  ASSERT_TRUE(objects.contains(path)) << r.out;
  const auto& props = objects[path][kNetwork];
  EXPECT_EQ(props["Name"]["data"], "managed");
  EXPECT_EQ(props["Subnet"]["data"], "10.219.1.0/24");
  EXPECT_EQ(props["NAT"]["data"], true);
  EXPECT_TRUE(props["Leases"]["data"].empty());
  EXPECT_TRUE(objects.contains(bus::network_path("default")));
}

TEST_F(Networks, NetworksSurviveARestart) {
  const auto path = create("kept", {{"subnet", sdbus::Variant(std::string("172.20.0.0/16"))},
                                    {"nat", sdbus::Variant(false)}});
  ASSERT_NO_THROW(env().restart_daemon());
  EXPECT_EQ(get("kept"), path);
  EXPECT_EQ(text(path, "Subnet"), "172.20.0.0/16");
  EXPECT_FALSE(property(path, "NAT").get<bool>());
  auto rows = list();
  ASSERT_EQ(rows.size(), 2u) << "the default network is made once";
  EXPECT_EQ(rows[0].get<0>(), "default");
  EXPECT_EQ(rows[0].get<1>(), "10.219.0.0/24");
}

TEST_F(Networks, OnlyNetworkManagersMayChangeNetworks) {
  const auto path = create("guarded");
  for (const std::string user : {"banger-alice", "banger-eve"}) {
    SCOPED_TRACE(user);
    for (const std::vector<std::string>& call :
         {std::vector<std::string>{kRoot, kManager, "CreateNetwork", "sa{sv}", "sneaky", "0"},
          std::vector<std::string>{path, kNetwork, "SetNAT", "b", "false"},
          std::vector<std::string>{path, kNetwork, "Delete"}}) {
      auto quiet = parse_probe(env().probe_as(user, [&] {
        std::vector<std::string> args{"--no-interactive"};
        args.insert(args.end(), call.begin(), call.end());
        return args;
      }()));
      EXPECT_EQ(quiet.error_name, kDeniedWithoutInteraction) << call[2] << ": " << quiet.error_message;
    }
    auto read = env().busctl(user, {kNoInteraction, "--json=short", "call", kService, kRoot, kManager, "ListNetworks"});
    EXPECT_TRUE(read.ok()) << "reading needs no action: " << read.describe();
  }
  EXPECT_TRUE(property(path, "NAT").get<bool>());
  EXPECT_TRUE(error_of([&] { get("sneaky"); }));

  // banger-op (group banger) may.
  auto op = env().busctl("banger-op", {kNoInteraction, "call", kService, path, kNetwork, "SetNAT", "b", "false"});
  EXPECT_TRUE(op.ok()) << op.describe();
  EXPECT_FALSE(property(path, "NAT").get<bool>());
}

TEST_F(Networks, VmsGetTheirAddressAndNamesOnTheirNetwork) {
  const auto lab = create("lab", {{"subnet", sdbus::Variant(std::string("10.77.0.0/24"))},
                                  {"dns_domain", sdbus::Variant(std::string("lab.test"))}});
  const auto on_lab = client_->create_ready(*recorder_, "on-lab", {{"network", sdbus::Variant(std::string("lab"))}});
  const auto on_default = client_->create_ready(*recorder_, "on-default");
  ASSERT_FALSE(on_lab.empty());
  ASSERT_FALSE(on_default.empty());
  EXPECT_EQ(client_->vm_string(on_lab, "Network"), "lab");
  EXPECT_EQ(client_->vm_string(on_lab, "IPv4Address"), "10.77.0.2");
  EXPECT_EQ(client_->vm_string(on_lab, "DNSName"), "on-lab.lab.test");
  const auto id = client_->vm_string(on_lab, "Id");
  EXPECT_EQ(client_->vm_string(on_lab, "TapDevice"), "bgt" + id.substr(0, 12));
  EXPECT_EQ(client_->vm_string(on_lab, "MACAddress").size(), 17u);
  EXPECT_EQ(client_->vm_string(on_default, "Network"), "default");
  EXPECT_EQ(client_->vm_string(on_default, "IPv4Address").rfind("10.219.0.", 0), 0u);
  auto leases = property(lab, "Leases").get<std::map<std::string, std::string>>();
  EXPECT_EQ(leases, (std::map<std::string, std::string>{{id, "10.77.0.2"}}));

  // A rename changes the DNS name; the address stays.
  client_->set(on_lab, {{"name", sdbus::Variant(std::string("renamed"))}});
  EXPECT_EQ(client_->vm_string(on_lab, "DNSName"), "renamed.lab.test");
  EXPECT_EQ(client_->vm_string(on_lab, "IPv4Address"), "10.77.0.2");

  auto busy = error_of([&] { delete_network("lab"); });
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->getName(), err::busy) << busy->getMessage();

  client_->vm_call(on_lab, "Delete");
  using Leases = std::map<std::string, std::string>;
  EXPECT_TRUE(property(lab, "Leases").get<Leases>().empty());
  client_->vm_call(on_default, "Delete");
}

TEST_F(Networks, CreateVmOnAMissingNetworkLeavesNoVm) {
  auto e = error_of([&] { client_->create_vm("lost", {{"network", sdbus::Variant(std::string("nope"))}}); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->getName(), err::no_such_network) << e->getMessage();
  auto bad = error_of([&] { client_->create_vm("lost", {{"network", sdbus::Variant(std::string("Bad_Name"))}}); });
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->getName(), err::invalid_args) << bad->getMessage();
  EXPECT_TRUE(error_of([&] { client_->get_vm("lost"); }));
}

TEST_F(Networks, ChoosingAnotherNetworkIsCheckedAgainstThatNetwork) {
  create("private");
  auto as_alice = [&](const std::string& name, const std::string& network) {
    std::vector<std::string> args{"--no-interactive", kRoot, kManager, "CreateVM", "sa{sv}", name};
    if (network.empty()) {
      args.push_back("0");
    } else {
      args.insert(args.end(), {"1", "network", "s", network});
    }
    return parse_probe(env().probe_as("banger-alice", args));
  };
  auto denied = as_alice("alice-private", "private");
  EXPECT_EQ(denied.error_name, kDeniedWithoutInteraction) << denied.error_message;
  EXPECT_TRUE(error_of([&] { client_->get_vm("alice-private"); }));
  auto allowed = as_alice("alice-default", "default");
  EXPECT_TRUE(allowed.error_name.empty()) << allowed.error_name << ": " << allowed.error_message;
  auto path = client_->get_vm("alice-default");
  EXPECT_TRUE(client_->wait_state(*recorder_, path, "created"));
  client_->vm_call(path, "Delete");
}

}  // namespace
}  // namespace banger::test
