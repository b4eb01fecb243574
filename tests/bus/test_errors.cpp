// (a) The errors of the contract: busctl fails with the daemon's message, and
// the in-test client sees the D-Bus error name.
#include <string>
#include <vector>

#include "test_support.h"

namespace banger::test {
namespace {

namespace err = banger::bus::error;

class Errors : public ClientTest {
 protected:
  // busctl fails and its message (stderr) mentions `needle`.
  void expect_busctl_fails(const std::vector<std::string>& args, const std::string& needle) {
    auto r = env().busctl("", args);
    EXPECT_NE(r.exit_code, 0) << r.describe();
    EXPECT_NE(r.err.find(needle), std::string::npos) << "message should name '" << needle << "'\n" << r.describe();
  }
  // The same call through sdbus-c++ fails with `name`; returns the message.
  std::string expect_error(const std::string& name, const std::function<void()>& call) {
    auto e = error_of(call);
    if (!e) {
      ADD_FAILURE() << "expected " << name << " but the call succeeded";
      return "";
    }
    EXPECT_EQ(e->getName(), name) << e->getMessage();
    return e->getMessage();
  }
};

struct BadCreate {
  std::string name;
  std::vector<std::string> options;  // busctl a{sv} entries: key type value …
  Options sdbus_options;
  std::string named;  // the message must mention this
};

TEST_F(Errors, BadCreateInputIsInvalidArgsNamingTheKey) {
  const std::vector<BadCreate> cases = {
      {"Bad_Name", {}, {}, "Bad_Name"},
      {"zero-vcpus", {"vcpus", "u", "0"}, {{"vcpus", sdbus::Variant(std::uint32_t{0})}}, "vcpus"},
      {"tiny-memory", {"memory", "u", "64"}, {{"memory", sdbus::Variant(std::uint32_t{64})}}, "memory"},
      {"unknown-key", {"colour", "s", "red"}, {{"colour", sdbus::Variant(std::string("red"))}}, "colour"},
      {"string-vcpus", {"vcpus", "s", "two"}, {{"vcpus", sdbus::Variant(std::string("two"))}}, "vcpus"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<std::string> args{"call", kService, kRoot, kManager, "CreateVM", "sa{sv}", c.name,
                                  std::to_string(c.options.size() / 3)};
    args.insert(args.end(), c.options.begin(), c.options.end());
    expect_busctl_fails(args, c.named);
    auto message = expect_error(err::invalid_args, [&] { client_->create_vm(c.name, c.sdbus_options); });
    EXPECT_NE(message.find(c.named), std::string::npos) << message;
    auto e = error_of([&] { client_->get_vm(c.name); });
    ASSERT_TRUE(e) << c.name << " must not have been created";
    EXPECT_EQ(e->getName(), err::no_such_vm);
  }
}

TEST_F(Errors, UnknownRefIsNoSuchVM) {
  expect_busctl_fails({"call", kService, kRoot, kManager, "GetVM", "s", "nothing-here"}, "nothing-here");
  expect_error(err::no_such_vm, [&] { client_->get_vm("nothing-here"); });
  expect_error(err::invalid_args, [&] { client_->get_vm(""); });
}

TEST_F(Errors, AmbiguousPrefixNamesBothCandidates) {
  // 'q' is no hex digit, so the prefix cannot match an id.
  const std::string one = client_->create_ready(*recorder_, "qamb-one");
  const std::string two = client_->create_ready(*recorder_, "qamb-two");
  auto message = expect_error(err::ambiguous, [&] { client_->get_vm("qamb"); });
  for (const auto& [name, path] : {std::pair{std::string("qamb-one"), one}, std::pair{std::string("qamb-two"), two}}) {
    const std::string id = client_->vm_string(path, "Id");
    EXPECT_TRUE(message.find(name) != std::string::npos || message.find(id) != std::string::npos)
        << "'" << message << "' should name " << name;
  }
  expect_busctl_fails({"call", kService, kRoot, kManager, "GetVM", "s", "qamb"}, "qamb-");
  EXPECT_EQ(client_->get_vm("qamb-o"), one) << "a unique prefix resolves";
  const std::string id = client_->vm_string(two, "Id");
  EXPECT_EQ(client_->get_vm(id.substr(0, 12)), two) << "an id prefix resolves";
}

TEST_F(Errors, DuplicateNameIsExists) {
  client_->create_ready(*recorder_, "dup-vm");
  expect_busctl_fails({"call", kService, kRoot, kManager, "CreateVM", "sa{sv}", "dup-vm", "0"}, "dup-vm");
  expect_error(err::exists, [&] { client_->create_vm("dup-vm"); });

  const std::string other = client_->create_ready(*recorder_, "dup-other");
  expect_error(err::exists, [&] { client_->set(other, {{"name", sdbus::Variant(std::string("dup-vm"))}}); });
  EXPECT_EQ(client_->vm_string(other, "Name"), "dup-other");
}

TEST_F(Errors, DeleteOfARunningVmIsInvalidState) {
  const std::string vm = running_vm("run-del");
  expect_busctl_fails({"call", kService, vm, kVm, "Delete"}, "");
  expect_error(err::invalid_state, [&] { client_->vm_call(vm, "Delete"); });
  expect_error(err::invalid_state, [&] { client_->vm_call(vm, "Start"); });
  EXPECT_EQ(client_->vm_string(vm, "State"), "running");

  client_->stop(vm);
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "stopped")) << client_->vm_string(vm, "State");
  expect_error(err::invalid_state, [&] { client_->stop(vm); });
  client_->vm_call(vm, "Delete");
  expect_error(err::no_such_vm, [&] { client_->get_vm("run-del"); });
}

TEST_F(Errors, SetHardwareWhileRunningIsInvalidState) {
  const std::string vm = running_vm("run-set");
  expect_busctl_fails({"call", kService, vm, kVm, "Set", "a{sv}", "1", "vcpus", "u", "1"}, "");
  expect_error(err::invalid_state, [&] { client_->set(vm, {{"vcpus", sdbus::Variant(std::uint32_t{1})}}); });
  expect_error(err::invalid_state, [&] { client_->set(vm, {{"memory", sdbus::Variant(std::uint32_t{256})}}); });
  // The name may change any time.
  client_->set(vm, {{"name", sdbus::Variant(std::string("run-set-renamed"))}});
  EXPECT_EQ(client_->get_vm("run-set-renamed"), vm);
  expect_error(err::invalid_args, [&] { client_->set(vm, {}); });
  expect_error(err::invalid_args, [&] { client_->set(vm, {{"colour", sdbus::Variant(std::string("red"))}}); });
  client_->vm_call(vm, "Kill");
  EXPECT_TRUE(client_->wait_state(*recorder_, vm, "stopped")) << client_->vm_string(vm, "State");
}

TEST_F(Errors, StartFaultIsBackendFailedWithLastError) {
  const std::string vm = client_->create_ready(*recorder_, "start-fault");
  env().set_faults({"start"});
  auto message = expect_error(err::backend_failed, [&] { client_->vm_call(vm, "Start"); });
  EXPECT_FALSE(message.empty());
  EXPECT_FALSE(client_->vm_string(vm, "LastError").empty());
  EXPECT_NE(client_->vm_string(vm, "State"), "running");

  env().set_faults({});
  client_->vm_call(vm, "Start");
  EXPECT_TRUE(client_->wait_state(*recorder_, vm, "running")) << client_->vm_string(vm, "State");
  client_->vm_call(vm, "Kill");
}

TEST_F(Errors, StartWhileCreatingIsBusy) {
  env().set_faults({"provision-delay-ms=3000"});
  auto [vm, op] = client_->create_vm("slow-vm");
  EXPECT_EQ(client_->vm_string(vm, "State"), "creating");
  // Provisioning holds the VM: a Start now is refused at once, not queued behind it.
  auto busy = error_of([&] { client_->vm_call(vm, "Start"); });
  ASSERT_TRUE(busy) << "Start of a creating VM succeeded (state now " << client_->vm_string(vm, "State") << ")";
  EXPECT_EQ(busy->getName(), err::busy) << busy->getMessage();
  auto finished = recorder_->wait_for([&](const Signal& s) { return s.path == op && s.member == "Finished"; }, 15s);
  ASSERT_TRUE(finished);
  EXPECT_TRUE(finished->success) << finished->args.at(0);
  EXPECT_TRUE(client_->wait_state(*recorder_, vm, "created"));
}

}  // namespace
}  // namespace banger::test
