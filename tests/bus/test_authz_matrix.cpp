// The whole authorization matrix against the real polkitd, interaction off:
// every method of every interface in interfaces/*.xml × {root, banger-op
// (group banger), banger-alice (owner of the VM, outside the group),
// banger-bob (another user, not the owner)}. A method without a row fails the
// test, so a new method cannot be forgotten; each row names the polkit action
// the generated API doc (from the XML) gives the method, so the table and the
// contract cannot drift apart.
//
// A cell is "allowed" when the call succeeds or fails for a reason that is not
// authorization, "denied" when it answers AccessDenied or
// InteractiveAuthorizationRequired. Every cell that needs a VM or a network
// gets a fresh one, so an allowed Delete never turns a later cell's denial
// into NoSuchVM.
#include <chrono>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "image_support.h"
#include "test_support.h"

namespace banger::test {
namespace {

namespace fs = std::filesystem;
namespace err = banger::bus::error;

const std::string kPrefix = "dev.banger.banger1.";
const std::string kImage = kPrefix + "Image";
const std::string kNetwork = kPrefix + "Network";
const std::string kSnapshot = kPrefix + "Snapshot";

// Who may call: the policies the project's rules and the test rules
// (tests/bus/data/49-banger-tests.rules: alice and bob may create-vm and
// manage-own-vms) give the four principals.
enum class Who { anyone, vm_owner, admins };
// What the call runs on; each cell gets its own where that matters.
enum class On { manager, vm, vm_by_name, image, image_by_name, network, network_by_name, snapshot };

struct Row {
  std::string interface;  // short: Manager, VM, Image, Network
  std::string method;
  std::string polkit;  // as docs/dbus-api.md says it, without "dev.banger.banger1."
  Who who;
  On on;
  std::vector<std::string> args;  // bus-probe syntax; "{name}" is replaced by the target's name
};

// clang-format off
const std::vector<Row> kMatrix = {
  {"Manager", "CreateVM", "create-vm, use-network", Who::anyone, On::manager, {"sa{sv}", "{fresh}", "0"}},
  {"Manager", "ListVMs", "none", Who::anyone, On::manager, {}},
  {"Manager", "GetVM", "none", Who::anyone, On::vm_by_name, {"s", "{name}"}},
  {"Manager", "StartVM", "as VM.Start", Who::vm_owner, On::vm_by_name, {"s", "{name}"}},
  {"Manager", "StopVM", "as VM.Stop", Who::vm_owner, On::vm_by_name, {"sb", "{name}", "true"}},
  {"Manager", "DeleteVM", "as VM.Delete", Who::vm_owner, On::vm_by_name, {"s", "{name}"}},
  {"Manager", "ImportImage", "manage-images", Who::admins, On::manager,
   {"sa{sv}", "{fresh}", "1", "rootfs", "s", "/nonexistent/rootfs.ext4"}},
  {"Manager", "Doctor", "none", Who::anyone, On::manager, {}},
  {"Manager", "ListImages", "none", Who::anyone, On::manager, {}},
  {"Manager", "GetImage", "none", Who::anyone, On::image_by_name, {"s", "{name}"}},
  {"Manager", "SetDefaultImage", "manage-images", Who::admins, On::image_by_name, {"s", "{name}"}},
  {"Manager", "DeleteImage", "as Image.Delete", Who::admins, On::image_by_name, {"s", "{name}"}},
  {"Manager", "CreateNetwork", "manage-networks", Who::admins, On::manager, {"sa{sv}", "{fresh}", "0"}},
  {"Manager", "ListNetworks", "none", Who::anyone, On::manager, {}},
  {"Manager", "GetNetwork", "none", Who::anyone, On::network_by_name, {"s", "{name}"}},
  {"Manager", "DeleteNetwork", "as Network.Delete", Who::admins, On::network_by_name, {"s", "{name}"}},
  {"Image", "Delete", "manage-images", Who::admins, On::image, {}},
  {"Network", "SetNAT", "manage-networks", Who::admins, On::network, {"b", "false"}},
  {"Network", "Delete", "manage-networks", Who::admins, On::network, {}},
  {"VM", "Start", "manage-own-vms, manage-vms", Who::vm_owner, On::vm, {}},
  {"VM", "Stop", "manage-own-vms, manage-vms", Who::vm_owner, On::vm, {"b", "true"}},
  {"VM", "Restart", "manage-own-vms, manage-vms", Who::vm_owner, On::vm, {}},
  {"VM", "Kill", "manage-own-vms, manage-vms", Who::vm_owner, On::vm, {}},
  {"VM", "Pause", "manage-own-vms, manage-vms", Who::vm_owner, On::vm, {}},
  {"VM", "Resume", "manage-own-vms, manage-vms", Who::vm_owner, On::vm, {}},
  {"VM", "Suspend", "manage-own-vms, manage-vms", Who::vm_owner, On::vm, {}},
  {"VM", "StartWith", "manage-own-vms, manage-vms", Who::vm_owner, On::vm, {"a{sv}", "1", "fresh", "b", "true"}},
  {"VM", "Delete", "manage-own-vms, manage-vms", Who::vm_owner, On::vm, {}},
  // Clone is the VM's action first (then use-network, for a VM on a network other than
  // "default", as here none is; then create-vm, which all four hold).
  {"VM", "Clone", "create-vm, use-network", Who::vm_owner, On::vm, {"s", "{fresh}"}},
  {"VM", "AddAuthorizedKeys", "manage-own-vms, manage-vms", Who::vm_owner, On::vm,
   {"as", "1", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl matrix"}},
  {"VM", "RemoveAuthorizedKeys", "manage-own-vms, manage-vms", Who::vm_owner, On::vm,
   {"as", "1", "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"}},
  {"VM", "Set", "manage-own-vms, manage-vms", Who::vm_owner, On::vm, {"a{sv}", "1", "keep_work_disk", "b", "true"}},
  {"VM", "Touch", "manage-own-vms, manage-vms", Who::vm_owner, On::vm, {}},
  {"VM", "ReadConsole", "manage-own-vms, manage-vms", Who::vm_owner, On::vm, {"tu", "0", "4096"}},
  {"VM", "OpenConsole", "manage-own-vms, manage-vms", Who::vm_owner, On::vm, {}},
  {"VM", "PushWorkspace", "manage-own-vms, manage-vms", Who::vm_owner, On::vm, {"ha{sv}", "/dev/null", "0"}},
  {"VM", "PullWorkspace", "manage-own-vms, manage-vms", Who::vm_owner, On::vm, {"ha{sv}", "/dev/null", "0"}},
  {"VM", "ForwardPort", "manage-own-vms, manage-vms", Who::vm_owner, On::vm, {"sqq", "tcp", "18080", "80"}},
  {"VM", "RemoveForward", "manage-own-vms, manage-vms", Who::vm_owner, On::vm, {"sq", "tcp", "18080"}},
  {"VM", "Snapshot", "manage-own-vms, manage-vms", Who::vm_owner, On::vm, {"sa{sv}", "{fresh}", "0"}},
  // A checkpoint of alice's VM (taken by root): authorized as the VM's verbs.
  {"Snapshot", "Restore", "manage-own-vms, manage-vms", Who::vm_owner, On::snapshot, {}},
  {"Snapshot", "Delete", "manage-own-vms, manage-vms", Who::vm_owner, On::snapshot, {}},
  // As VM.Clone: the VM's action (verb clone), then create-vm.
  {"Snapshot", "Clone", "create-vm, use-network", Who::vm_owner, On::snapshot, {"sa{sv}", "{fresh}", "0"}},
};
// clang-format on

const std::vector<std::string> kPrincipals = {"root", "banger-op", "banger-alice", "banger-bob"};

bool expected_allowed(Who who, const std::string& user) {
  switch (who) {
    case Who::anyone: return true;
    case Who::vm_owner: return user != "banger-bob";
    case Who::admins: return user == "root" || user == "banger-op";
  }
  return false;
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every method of every banger interface, "Interface.Method", from the XML.
std::set<std::string> methods_in_contract() {
  std::set<std::string> methods;
  const fs::path dir = fs::path(std::getenv("BANGER_SOURCE_ROOT")) / "interfaces";
  const std::regex interface_re(R"(<interface name="dev\.banger\.banger1\.(\w+)\")");
  const std::regex method_re(R"(<method name="(\w+)\")");
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".xml") continue;
    const std::string text = read_text(entry.path());
    std::smatch interface;
    if (!std::regex_search(text, interface, interface_re)) continue;
    for (std::sregex_iterator it(text.begin(), text.end(), method_re), end; it != end; ++it)
      methods.insert(interface[1].str() + "." + (*it)[1].str());
  }
  return methods;
}

// "Interface.Method" → its "- polkit:" line of the generated API doc, shortened.
std::map<std::string, std::string> documented_actions() {
  std::map<std::string, std::string> actions;
  std::istringstream doc(read_text(std::getenv("BANGER_API_DOC")));
  const std::regex member_re(R"(^#### `dev\.banger\.banger1\.(\w+\.\w+)`)");
  std::string line, member;
  while (std::getline(doc, line)) {
    std::smatch m;
    if (std::regex_search(line, m, member_re)) member = m[1];
    if (member.empty() || line.rfind("- polkit: ", 0) != 0) continue;
    std::string text = std::regex_replace(line.substr(10), std::regex("dev\\.banger\\.banger1\\.|`"), "");
    actions[member] = std::regex_replace(text, std::regex(" \\(the interface's rule above\\)"), "");
    member.clear();
  }
  return actions;
}

class AuthzMatrix : public ClientTest {
 protected:
  void SetUp() override {
    ClientTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    connection_ = sdbus::createSessionBusConnectionWithAddress(env().address());
    manager_ = sdbus::createProxy(*connection_, kService, kRoot);
  }

  ProbeResult call_as(const std::string& user, const std::string& path, const std::string& interface,
                      const std::string& method, const std::vector<std::string>& args) {
    std::vector<std::string> probe{"--no-interactive", path, interface, method};
    probe.insert(probe.end(), args.begin(), args.end());
    return parse_probe(env().probe_as(user, probe));
  }

  std::string fresh_name(const std::string& stem) { return stem + "-" + std::to_string(++serial_); }

  // A VM of banger-alice's, created.
  std::string alices_vm(const std::string& name, const std::vector<std::string>& options = {"0"}) {
    std::vector<std::string> args{"sa{sv}", name};
    args.insert(args.end(), options.begin(), options.end());
    auto created = call_as("banger-alice", kRoot, kManager, "CreateVM", args);
    EXPECT_TRUE(created.error_name.empty()) << created.error_name << ": " << created.error_message;
    if (created.values.empty()) return "";
    const std::string vm = created.values[0];
    EXPECT_TRUE(client_->wait_state(*recorder_, vm, "created")) << client_->vm_string(vm, "State");
    return vm;
  }

  // A checkpoint of `vm`, taken by root; its path once exported.
  std::string checkpoint_of(const std::string& vm) {
    auto taken = call_as("root", vm, kVm, "Snapshot", {"sa{sv}", "matrix", "0"});
    EXPECT_TRUE(taken.error_name.empty()) << taken.error_name << ": " << taken.error_message;
    if (taken.values.size() != 2) return "";
    const std::string path = taken.values[0];
    EXPECT_TRUE(recorder_->wait_for(
        [&](const Signal& s) { return s.member == "InterfacesAdded" && s.object == path; }, std::chrono::seconds(15)));
    return path;
  }

  // Gets rid of a VM whatever became of it: kill what runs, delete the rest.
  void dispose_vm(const std::string& name) {
    for (int attempt = 0; attempt < 100; ++attempt) {
      std::string vm;
      if (error_of([&] { vm = client_->get_vm(name); })) return;
      std::string state;
      error_of([&] { state = client_->vm_string(vm, "State"); });
      if (state == "created" || state == "stopped" || state == "failed")
        error_of([&] { client_->vm_call(vm, "Delete"); });
      else if (state == "running" || state == "paused" || state == "starting")
        error_of([&] { client_->vm_call(vm, "Kill"); });
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "VM " << name << " would not go away";
  }

  std::string network(const std::string& name) {
    sdbus::ObjectPath path;
    manager_->callMethod("CreateNetwork").onInterface(kManager).withArguments(name, Options{}).storeResultsTo(path);
    return path;
  }
  void dispose_network(const std::string& name) {
    error_of([&] { manager_->callMethod("DeleteNetwork").onInterface(kManager).withArguments(name); });
  }

  // One image for the image rows, kept from deletion by a VM that uses it (an
  // allowed Delete answers Busy) and imported once.
  void ensure_image() {
    if (!image_path_.empty()) return;
    const fs::path src = env().dir() / "matrix-image-src";
    if (!fs::exists(src)) write_stand_in_image(src);
    image_path_ = import_image_ready(*manager_, *recorder_, "matrix-image",
                                     {{"rootfs", fd_variant(src / "rootfs.ext4")},
                                      {"kernel", fd_variant(src / "vmlinuz")},
                                      {"initrd", fd_variant(src / "initrd.img")}});
    holder_ = alices_vm("matrix-holder", {"1", "image", "s", "matrix-image"});
  }

  // Runs one cell; returns whether the call was let through authorization.
  bool run_cell(const Row& row, const std::string& user) {
    std::string path = row.on == On::vm ? "" : kRoot;
    std::string name = fresh_name("mx");
    std::string vm_name, network_name;
    switch (row.on) {
      case On::manager: break;
      case On::vm:
      case On::vm_by_name:
        vm_name = name;
        path = alices_vm(vm_name);
        if (row.on == On::vm_by_name) path = kRoot;
        break;
      case On::image:
      case On::image_by_name:
        ensure_image();
        name = "matrix-image";
        if (row.on == On::image) path = image_path_;
        break;
      case On::snapshot:
        vm_name = name;
        path = checkpoint_of(alices_vm(vm_name));
        break;
      case On::network:
      case On::network_by_name:
        network_name = name;
        path = network(network_name);
        if (row.on == On::network_by_name) path = kRoot;
        break;
    }
    std::vector<std::string> args;
    for (const auto& a : row.args) args.push_back(a == "{name}" ? name : a == "{fresh}" ? fresh_name("mxnew") : a);
    const auto interface = row.interface == "Manager" ? kManager
                           : row.interface == "VM"    ? kVm
                           : row.interface == "Image" ? kImage
                           : row.interface == "Snapshot" ? kSnapshot
                                                      : kNetwork;
    const auto result = call_as(user, path, interface, row.method, args);
    const bool denied = result.error_name == err::access_denied ||
                        result.error_name == err::interactive_authorization_required;
    if (!result.error_name.empty() && !denied)
      std::cerr << "  " << row.interface << "." << row.method << " as " << user << ": allowed, then "
                << result.error_name << ": " << result.error_message << "\n";

    // Whatever the cell made or left.
    if (!vm_name.empty()) dispose_vm(vm_name);
    if (!network_name.empty()) dispose_network(network_name);
    for (const auto& vm : client_->list_vms())
      if (vm.get<1>().rfind("mxnew-", 0) == 0) dispose_vm(vm.get<1>());
    for (const auto& a : args)
      if (a.rfind("mxnew-", 0) == 0) dispose_network(a);
    return !denied;
  }

  std::unique_ptr<sdbus::IConnection> connection_;
  std::unique_ptr<sdbus::IProxy> manager_;
  std::string image_path_;
  std::string holder_;
  int serial_ = 0;
};

TEST(AuthzMatrixTable, CoversEveryMethodOfTheContractWithItsDocumentedAction) {
  if (!std::getenv("BANGER_SOURCE_ROOT") || !std::getenv("BANGER_API_DOC"))
    GTEST_SKIP() << "BANGER_SOURCE_ROOT and BANGER_API_DOC come from meson's test()";
  const auto contract = methods_in_contract();
  ASSERT_GT(contract.size(), 30u) << "the XML did not parse";
  std::set<std::string> rows;
  for (const auto& row : kMatrix) rows.insert(row.interface + "." + row.method);
  for (const auto& method : contract) EXPECT_TRUE(rows.count(method)) << method << " has no row in the matrix";
  for (const auto& row : rows) EXPECT_TRUE(contract.count(row)) << row << " is not in interfaces/*.xml";
  EXPECT_EQ(rows.size(), kMatrix.size()) << "a method has two rows";

  const auto documented = documented_actions();
  for (const auto& row : kMatrix) {
    const auto it = documented.find(row.interface + "." + row.method);
    ASSERT_NE(it, documented.end()) << row.interface << "." << row.method << " is not in the API doc";
    EXPECT_EQ(it->second, row.polkit) << row.interface << "." << row.method;
  }
}

TEST_F(AuthzMatrix, EveryMethodForEveryPrincipal) {
  int allowed = 0, denied = 0, cells = 0;
  for (const auto& row : kMatrix) {
    for (const auto& user : kPrincipals) {
      SCOPED_TRACE(row.interface + "." + row.method + " as " + user);
      const bool expected = expected_allowed(row.who, user);
      const bool got = run_cell(row, user);
      EXPECT_EQ(got, expected) << (expected ? "denied, expected allowed" : "allowed, expected denied");
      ++cells;
      (got ? allowed : denied) += 1;
    }
  }
  if (!holder_.empty()) dispose_vm("matrix-holder");
  if (!image_path_.empty())
    error_of([&] { manager_->callMethod("DeleteImage").onInterface(kManager).withArguments("matrix-image"); });
  std::cout << "authorization cells: " << cells << " (" << allowed << " allowed, " << denied << " denied)\n";
  EXPECT_EQ(cells, static_cast<int>(kMatrix.size() * kPrincipals.size()));
}

}  // namespace
}  // namespace banger::test
