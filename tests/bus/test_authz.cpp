// (c) The authorization matrix against a real polkitd:
//   root          everything (uid 0 is always allowed)
//   banger-op     group banger: every action (50-dev.banger.banger1.rules)
//   banger-alice  create-vm and manage-own-vms only (tests/bus/data/49-banger-tests.rules)
//   banger-bob    the same as alice
//   banger-eve    nothing: the action defaults ask for admin authentication,
//                 and without a logind session polkit applies allow_any
// Reading (ListVMs, GetVM, properties, GetManagedObjects) needs no action.
#include <string>
#include <vector>

#include "test_support.h"

namespace banger::test {
namespace {

namespace err = banger::bus::error;
const std::string kNoInteraction = "--allow-interactive-authorization=no";

class Authz : public ClientTest {
 protected:
  // CreateVM as `user` through busctl; waits until the VM is created.
  std::string create_as(const std::string& user, const std::string& name) {
    std::vector<std::string> args{kNoInteraction};
    auto call = create_args(name);
    args.insert(args.end(), call.begin(), call.end());
    auto r = env().busctl(user, args);
    EXPECT_TRUE(r.ok()) << user << " CreateVM " << name << ": " << r.describe();
    if (!r.ok()) return "";
    const std::string vm = busctl_data(r)[0].get<std::string>();
    EXPECT_TRUE(client_->wait_state(*recorder_, vm, "created")) << client_->vm_string(vm, "State");
    EXPECT_EQ(client_->vm_number(vm, "OwnerUID"), BusEnvironment::uid_of(user)) << "OwnerUID is the creator's uid";
    return vm;
  }

  // A VM method through busctl as `user`, interaction off.
  RunResult vm_busctl(const std::string& user, const std::string& vm, const std::vector<std::string>& method) {
    std::vector<std::string> args{kNoInteraction, "call", kService, vm, kVm};
    args.insert(args.end(), method.begin(), method.end());
    return env().busctl(user, args);
  }

  // Drives one VM through every method as `user`; each call must succeed.
  void manage(const std::string& user, const std::string& vm, const std::string& new_name) {
    SCOPED_TRACE(user + " manages " + vm);
    auto start = vm_busctl(user, vm, {"Start"});
    ASSERT_TRUE(start.ok()) << start.describe();
    ASSERT_TRUE(client_->wait_state(*recorder_, vm, "running")) << client_->vm_string(vm, "State");
    auto touch = vm_busctl(user, vm, {"Touch"});
    EXPECT_TRUE(touch.ok()) << touch.describe();
    auto stop = vm_busctl(user, vm, {"Stop", "b", "false"});
    ASSERT_TRUE(stop.ok()) << stop.describe();
    ASSERT_TRUE(client_->wait_state(*recorder_, vm, "stopped")) << client_->vm_string(vm, "State");
    auto set = vm_busctl(user, vm, {"Set", "a{sv}", "1", "name", "s", new_name});
    EXPECT_TRUE(set.ok()) << set.describe();
    EXPECT_EQ(client_->vm_string(vm, "Name"), new_name);
    auto del = vm_busctl(user, vm, {"Delete"});
    EXPECT_TRUE(del.ok()) << del.describe();
    EXPECT_TRUE(error_of([&] { client_->get_vm(new_name); })) << vm << " should be gone";
  }

  // `user` may not call `method` on `vm`: busctl fails, and bus-probe sees the
  // error name (busctl prints only the message).
  void expect_denied(const std::string& user, const std::string& path, const std::string& interface,
                     const std::vector<std::string>& method) {
    SCOPED_TRACE(user + " " + method.front() + " on " + path);
    std::vector<std::string> args{kNoInteraction, "call", kService, path, interface};
    args.insert(args.end(), method.begin(), method.end());
    auto r = env().busctl(user, args);
    EXPECT_NE(r.exit_code, 0) << r.describe();

    std::vector<std::string> probe{"--no-interactive", path, interface};
    probe.insert(probe.end(), method.begin(), method.end());
    auto quiet = parse_probe(env().probe_as(user, probe));
    EXPECT_EQ(quiet.error_name, kDeniedWithoutInteraction) << quiet.error_message;

    probe.erase(probe.begin());
    auto asked = parse_probe(env().probe_as(user, probe));
    EXPECT_TRUE(asked.error_name == err::access_denied || asked.error_name == err::interactive_authorization_required)
        << "interactive call: " << asked.error_name << ": " << asked.error_message;
  }
};

TEST_F(Authz, RootMayDoEverything) {
  const std::string own = create_as("root", "root-vm");
  manage("root", own, "root-vm-2");
  const std::string alices = create_as("banger-alice", "alice-for-root");
  manage("root", alices, "alice-for-root-2");
}

TEST_F(Authz, OperatorMayManageAnyonesVm) {
  const std::string own = create_as("banger-op", "op-vm");
  manage("banger-op", own, "op-vm-2");
  const std::string alices = create_as("banger-alice", "alice-for-op");
  manage("banger-op", alices, "alice-for-op-2");
  const std::string roots = create_as("root", "root-for-op");
  manage("banger-op", roots, "root-for-op-2");
}

TEST_F(Authz, AliceManagesHerOwnVm) {
  const std::string own = create_as("banger-alice", "alice-own");
  manage("banger-alice", own, "alice-own-2");
}

TEST_F(Authz, AliceIsDeniedOnBobsVm) {
  const std::string bobs = create_as("banger-bob", "bob-vm");
  expect_denied("banger-alice", bobs, kVm, {"Start"});
  expect_denied("banger-alice", bobs, kVm, {"Delete"});
  expect_denied("banger-alice", bobs, kVm, {"Touch"});
  expect_denied("banger-alice", bobs, kVm, {"Set", "a{sv}", "1", "name", "s", "stolen"});
  expect_denied("banger-alice", kRoot, kManager, {"StartVM", "s", "bob-vm"});
  expect_denied("banger-alice", kRoot, kManager, {"DeleteVM", "s", "bob-vm"});
  EXPECT_EQ(client_->vm_string(bobs, "State"), "created");
  EXPECT_EQ(client_->vm_string(bobs, "Name"), "bob-vm");

  // Bob himself may.
  manage("banger-bob", bobs, "bob-vm-2");
}

TEST_F(Authz, EveMayNotCreate) {
  expect_denied("banger-eve", kRoot, kManager, {"CreateVM", "sa{sv}", "eve-vm", "0"});
  auto e = error_of([&] { client_->get_vm("eve-vm"); });
  ASSERT_TRUE(e) << "eve-vm must not exist";
  EXPECT_EQ(e->getName(), err::no_such_vm);

  const std::string roots = client_->create_ready(*recorder_, "root-vs-eve");
  expect_denied("banger-eve", roots, kVm, {"Start"});
  expect_denied("banger-eve", roots, kVm, {"Delete"});
  EXPECT_EQ(client_->vm_string(roots, "State"), "created");
}

// Issue 17, finding 1: the caller is who the bus daemon vouches for (the effective uid
// of its socket), never a uid read from /proc/<pid> afterwards, which a pid reused by a
// root process would turn into root. A caller whose real and effective uids differ
// tells them apart: effective eve with real uid 0 is eve (denied); effective root with
// real uid eve is root.
TEST_F(Authz, TheCallerIsTheUidTheBusVouchesFor) {
  const std::string eve = std::to_string(BusEnvironment::uid_of("banger-eve"));
  std::vector<std::string> create{kNoInteraction};
  auto call = create_args("euid-eve");
  create.insert(create.end(), call.begin(), call.end());
  auto as_eve = env().busctl_with_ids({"--euid", eve}, create);
  EXPECT_NE(as_eve.exit_code, 0) << "effective eve, real root, was taken for root: " << as_eve.describe();
  EXPECT_TRUE(error_of([&] { client_->get_vm("euid-eve"); })) << "euid-eve must not exist";

  call = create_args("euid-root");
  create = {kNoInteraction};
  create.insert(create.end(), call.begin(), call.end());
  auto as_root = env().busctl_with_ids({"--ruid", eve}, create);
  ASSERT_TRUE(as_root.ok()) << "effective root, real eve: " << as_root.describe();
  const std::string vm = busctl_data(as_root)[0].get<std::string>();
  EXPECT_TRUE(client_->wait_state(*recorder_, vm, "created")) << client_->vm_string(vm, "State");
  EXPECT_EQ(client_->vm_number(vm, "OwnerUID"), 0u);
}

// Issue 17, extra B: a clone joins its source's network, so Clone asks use-network for
// it as CreateVM does (details: the network and the copy's name). The test rule lets
// alice attach VMs named granted-* to alice-lab and no others: her own VM there may be
// cloned into granted-copy, never into ungranted-copy.
TEST_F(Authz, CloneOnAnotherNetworkNeedsUseNetworkForIt) {
  auto network = env().busctl("", {"--json=short", "call", kService, kRoot, kManager, "CreateNetwork", "sa{sv}",
                                   "alice-lab", "1", "subnet", "s", "10.78.0.0/24"});
  ASSERT_TRUE(network.ok()) << network.describe();
  auto created = env().busctl("banger-alice", {kNoInteraction, "--json=short", "call", kService, kRoot, kManager,
                                               "CreateVM", "sa{sv}", "granted-src", "1", "network", "s", "alice-lab"});
  ASSERT_TRUE(created.ok()) << "the rule lets alice create granted-src on alice-lab: " << created.describe();
  const std::string source = busctl_data(created)[0].get<std::string>();
  ASSERT_TRUE(client_->wait_state(*recorder_, source, "created")) << client_->vm_string(source, "State");

  expect_denied("banger-alice", source, kVm, {"Clone", "s", "ungranted-copy"});
  EXPECT_TRUE(error_of([&] { client_->get_vm("ungranted-copy"); })) << "ungranted-copy must not exist";

  auto allowed = env().busctl("banger-alice", {kNoInteraction, "--json=short", "call", kService, source, kVm, "Clone",
                                               "s", "granted-copy"});
  ASSERT_TRUE(allowed.ok()) << allowed.describe();
  const std::string copy = busctl_data(allowed)[0].get<std::string>();
  ASSERT_TRUE(client_->wait_state(*recorder_, copy, "created")) << client_->vm_string(copy, "State");
  EXPECT_EQ(client_->vm_string(copy, "Network"), "alice-lab");

  for (const auto& vm : {copy, source}) EXPECT_TRUE(vm_busctl("", vm, {"Delete"}).ok());
  EXPECT_TRUE(env().busctl("", {"call", kService, kRoot, kManager, "DeleteNetwork", "s", "alice-lab"}).ok());
}

TEST_F(Authz, EveryoneMayRead) {
  const std::string vm = client_->create_ready(*recorder_, "readable-vm");
  for (const std::string user : {"root", "banger-op", "banger-alice", "banger-bob", "banger-eve"}) {
    SCOPED_TRACE(user);
    auto list = env().busctl(user, {kNoInteraction, "--json=short", "call", kService, kRoot, kManager, "ListVMs"});
    ASSERT_TRUE(list.ok()) << list.describe();
    EXPECT_NE(list.out.find("readable-vm"), std::string::npos) << list.out;

    auto get = env().busctl(user, {kNoInteraction, "--json=short", "call", kService, kRoot, kManager, "GetVM", "s",
                                   "readable-vm"});
    ASSERT_TRUE(get.ok()) << get.describe();
    EXPECT_EQ(busctl_data(get)[0], vm);

    auto state = env().busctl(user, {kNoInteraction, "--json=short", "get-property", kService, vm, kVm, "State"});
    ASSERT_TRUE(state.ok()) << state.describe();
    EXPECT_EQ(busctl_data(state), "created");

    auto all = env().busctl(user, {kNoInteraction, "--json=short", "call", kService, kRoot, kObjectManager,
                                   "GetManagedObjects"});
    ASSERT_TRUE(all.ok()) << all.describe();
    auto objects = busctl_data(all);
    ASSERT_TRUE(objects.is_array() && !objects.empty() && objects[0].is_object()) << all.out;
    EXPECT_TRUE(objects[0].contains(vm)) << all.out;

    auto introspect = env().busctl(user, {"introspect", kService, vm});
    EXPECT_TRUE(introspect.ok()) << introspect.describe();
  }
}

}  // namespace
}  // namespace banger::test
