// VM.AddAuthorizedKeys / RemoveAuthorizedKeys and the AuthorizedKeys property
// against bangerd-test (keys are stored; its stand-in guests are not reached)
// and a real polkitd: who may add keys to whose VM, and what bad input answers.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace banger::test {
namespace {

namespace err = banger::bus::error;
namespace fs = std::filesystem;

// A key pair made by ssh-keygen in a directory of the test's own.
struct UserKey {
  std::string line;         // the .pub line
  std::string fingerprint;  // as ssh-keygen -l prints it
};

std::string output_of(const std::string& command) {
  std::string out;
  if (FILE* p = popen(command.c_str(), "r")) {
    char buffer[512];
    while (fgets(buffer, sizeof buffer, p) != nullptr) out += buffer;
    pclose(p);
  }
  return out;
}

UserKey make_key(const std::string& comment) {
  const fs::path dir = fs::temp_directory_path() / ("banger-keys-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const auto file = dir / comment;
  fs::remove(file);
  fs::remove(file.string() + ".pub");
  EXPECT_EQ(std::system(("ssh-keygen -q -t ed25519 -N '' -C '" + comment + "' -f '" + file.string() + "'").c_str()), 0);
  UserKey key;
  std::getline(std::ifstream(file.string() + ".pub"), key.line);
  const auto listed = output_of("ssh-keygen -l -E sha256 -f '" + file.string() + ".pub'");
  std::istringstream words(listed);
  std::string bits;
  words >> bits >> key.fingerprint;
  fs::remove_all(dir);
  return key;
}

class AuthorizedKeysBus : public ClientTest {
 protected:
  ProbeResult add_as(const std::string& user, const std::string& vm, const std::vector<std::string>& keys,
                     bool interactive = false) {
    std::vector<std::string> args{vm, kVm, "AddAuthorizedKeys", "as", std::to_string(keys.size())};
    args.insert(args.end(), keys.begin(), keys.end());
    if (!interactive) args.insert(args.begin(), "--no-interactive");
    return parse_probe(env().probe_as(user, args));
  }
  ProbeResult remove_as(const std::string& user, const std::string& vm, const std::vector<std::string>& prints) {
    std::vector<std::string> args{"--no-interactive", vm, kVm, "RemoveAuthorizedKeys", "as",
                                  std::to_string(prints.size())};
    args.insert(args.end(), prints.begin(), prints.end());
    return parse_probe(env().probe_as(user, args));
  }
  // The AuthorizedKeys property as (fingerprint, comment) pairs.
  std::vector<std::pair<std::string, std::string>> keys_of(const std::string& vm) {
    auto r = env().busctl("", {"--json=short", "get-property", kService, vm, kVm, "AuthorizedKeys"});
    EXPECT_TRUE(r.ok()) << r.describe();
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& entry : busctl_data(r)) out.emplace_back(entry[0].get<std::string>(), entry[1].get<std::string>());
    return out;
  }
  std::string create_as(const std::string& user, const std::string& name) {
    auto r = env().busctl(user, [&] {
      std::vector<std::string> args{"--allow-interactive-authorization=no"};
      auto call = create_args(name);
      args.insert(args.end(), call.begin(), call.end());
      return args;
    }());
    EXPECT_TRUE(r.ok()) << r.describe();
    if (!r.ok()) return "";
    const std::string vm = busctl_data(r)[0].get<std::string>();
    EXPECT_TRUE(client_->wait_state(*recorder_, vm, "created")) << client_->vm_string(vm, "State");
    return vm;
  }
};

TEST_F(AuthorizedKeysBus, BadKeysAnswerInvalidArgsNamingTheEntry) {
  const std::string vm = client_->create_ready(*recorder_, "keys-bad");
  const auto good = make_key("good@test");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{}, "no keys given"},
      {{good.line, "junk"}, "key 2 is not an OpenSSH public key"},
      {{"no-pty " + good.line}, "key 1 starts with options"},
      {{good.line + "\n" + good.line}, "key 1 holds a line break"},
      {{"-----BEGIN OPENSSH PRIVATE KEY-----"}, "key 1 is a private key"},
      {{"ssh-ed25519 AAAA"}, "key 1 holds key data that is not a valid ssh-ed25519 key"},
      {std::vector<std::string>(33, good.line), "33 keys given"},
  };
  for (const auto& [keys, message] : cases) {
    auto r = add_as("", vm, keys);
    EXPECT_EQ(r.error_name, err::invalid_args) << message;
    EXPECT_NE(r.error_message.find(message), std::string::npos) << r.error_message;
  }
  EXPECT_TRUE(keys_of(vm).empty());

  auto not_a_print = remove_as("", vm, {"MD5:aa:bb"});
  EXPECT_EQ(not_a_print.error_name, err::invalid_args) << not_a_print.error_message;
  auto not_held = remove_as("", vm, {good.fingerprint});
  EXPECT_EQ(not_held.error_name, err::invalid_args) << not_held.error_message;
  EXPECT_NE(not_held.error_message.find("holds no key"), std::string::npos) << not_held.error_message;
}

TEST_F(AuthorizedKeysBus, KeysAreListedWithFingerprintsAndSignalled) {
  const std::string vm = running_vm("keys-list");
  const auto a = make_key("a@test");
  const auto b = make_key("b@test");
  ASSERT_TRUE(add_as("", vm, {a.line, b.line, a.line}).ok);
  EXPECT_EQ(keys_of(vm), (std::vector<std::pair<std::string, std::string>>{{a.fingerprint, "a@test"},
                                                                           {b.fingerprint, "b@test"}}));
  auto changed = recorder_->wait_for([&](const Signal& s) {
    return s.path == vm && s.member == "PropertiesChanged" && s.properties.contains("AuthorizedKeys");
  });
  EXPECT_TRUE(changed) << "no PropertiesChanged for AuthorizedKeys";

  ASSERT_TRUE(add_as("", vm, {b.line}).ok);  // held already: nothing changes
  EXPECT_EQ(keys_of(vm).size(), 2u);
  ASSERT_TRUE(remove_as("", vm, {a.fingerprint}).ok);
  EXPECT_EQ(keys_of(vm), (std::vector<std::pair<std::string, std::string>>{{b.fingerprint, "b@test"}}));

  // Stored, so a restarted daemon shows them again.
  env().restart_daemon();
  client_ = std::make_unique<BusClient>(env().address());
  EXPECT_EQ(keys_of(vm), (std::vector<std::pair<std::string, std::string>>{{b.fingerprint, "b@test"}}));
}

TEST_F(AuthorizedKeysBus, OnlyTheOwnerOrAnOperatorAddsKeys) {
  const std::string vm = create_as("banger-alice", "keys-alice");
  ASSERT_FALSE(vm.empty());
  const auto bobs = make_key("bob@test");
  for (const std::string user : {"banger-bob", "banger-eve"}) {
    SCOPED_TRACE(user);
    EXPECT_EQ(add_as(user, vm, {bobs.line}).error_name, kDeniedWithoutInteraction);
    auto asked = add_as(user, vm, {bobs.line}, true);
    EXPECT_TRUE(asked.error_name == err::access_denied || asked.error_name == err::interactive_authorization_required)
        << asked.error_name << ": " << asked.error_message;
  }
  EXPECT_TRUE(keys_of(vm).empty());

  const auto alices = make_key("alice@test");
  auto own = add_as("banger-alice", vm, {alices.line});
  EXPECT_TRUE(own.ok) << own.error_name << ": " << own.error_message;
  auto op = add_as("banger-op", vm, {bobs.line});
  EXPECT_TRUE(op.ok) << op.error_name << ": " << op.error_message;
  EXPECT_EQ(keys_of(vm).size(), 2u);
  EXPECT_EQ(remove_as("banger-bob", vm, {alices.fingerprint}).error_name, kDeniedWithoutInteraction);
  EXPECT_EQ(keys_of(vm).size(), 2u);
}

TEST_F(AuthorizedKeysBus, CloneStartsWithoutKeys) {
  const std::string vm = client_->create_ready(*recorder_, "keys-src");
  ASSERT_TRUE(add_as("", vm, {make_key("src@test").line}).ok);
  auto r = env().busctl("", {"--json=short", "call", kService, vm, kVm, "Clone", "s", "keys-copy"});
  ASSERT_TRUE(r.ok()) << r.describe();
  const std::string copy = busctl_data(r)[0].get<std::string>();
  ASSERT_TRUE(client_->wait_state(*recorder_, copy, "created")) << client_->vm_string(copy, "State");
  EXPECT_TRUE(keys_of(copy).empty());
  EXPECT_EQ(keys_of(vm).size(), 1u);
}

}  // namespace
}  // namespace banger::test
