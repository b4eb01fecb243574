#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "capabilities/authorized_keys.h"
#include "core/errors.h"
#include "capabilities/ssh_public_key.h"
#include "error_kind.h"
#include "ssh_fixtures.h"
#include "ssh_public_key_fixtures.h"
#include "store/sqlite_store.h"

namespace banger {
namespace {

using namespace banger::testing;

VmRecord vm_record(const std::string& id, VmState state) {
  VmRecord vm;
  vm.id = id;
  vm.name = "vm-" + id;
  vm.owner_uid = 1000;
  vm.state = state;
  vm.vcpus = 1;
  vm.memory_mib = 256;
  vm.image = "img";
  vm.backend = "qemu";
  vm.created_at_us = vm.updated_at_us = 1;
  return vm;
}

// Records every script instead of reaching a guest; fails when told to.
struct RecordingShell : GuestShell {
  std::vector<std::pair<std::string, std::string>> runs;  // (address, script)
  bool fail = false;
  void run(const VmRecord& vm, const std::string& address, const std::string& script) override {
    if (fail) throw Error(ErrorKind::backend_failed, "guest " + vm.name + " unreachable");
    runs.emplace_back(address, script);
  }
};

struct RecordingKeyEvents : AuthorizedKeyEvents {
  std::vector<std::pair<std::string, std::vector<AuthorizedKeyInfo>>> changes;
  void authorized_keys_changed(const std::string& vm_id, std::vector<AuthorizedKeyInfo> keys) override {
    changes.emplace_back(vm_id, std::move(keys));
  }
};

class AuthorizedKeysTest : public ::testing::Test {
 protected:
  AuthorizedKeysTest() {
    attachments.attachment = attached_at("10.219.0.7");
    store.insert_vm(running);
    store.insert_vm(stopped);
  }
  SshPublicKey key(const std::string& comment = "") {
    return parse_ssh_public_key(generated_public_key() + (comment.empty() ? "" : " " + comment));
  }

  SqliteStore store{":memory:"};
  FixedAttachments attachments;
  RecordingShell shell;
  RecordingKeyEvents events;
  SshPublicKey daemon_key = parse_ssh_public_key(generated_public_key());
  AuthorizedKeys keys{{store, attachments, &shell, events, daemon_key.blob}};
  VmRecord running = vm_record("r1", VmState::running);
  VmRecord stopped = vm_record("s1", VmState::stopped);
};

TEST_F(AuthorizedKeysTest, RunningGuestGetsTheKeysAtOnceAndTheyAreStored) {
  const auto k = key("alice@laptop");
  keys.add(running, {k}, 1000);
  ASSERT_EQ(shell.runs.size(), 1u);
  EXPECT_EQ(shell.runs[0].first, "10.219.0.7");
  EXPECT_EQ(shell.runs[0].second, install_keys_script({k}));
  const auto stored = store.list_authorized_keys("r1");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].line, k.line());
  EXPECT_EQ(stored[0].added_by_uid, 1000u);
  ASSERT_EQ(events.changes.size(), 1u);
  EXPECT_EQ(events.changes[0].first, "r1");
  EXPECT_EQ(events.changes[0].second, (std::vector<AuthorizedKeyInfo>{{k.fingerprint, "alice@laptop"}}));
}

TEST_F(AuthorizedKeysTest, StoppedVmOnlyStoresAndEveryStartInstallsAll) {
  const auto a = key("a");
  const auto b = key("b");
  keys.add(stopped, {a}, 1000);
  keys.add(stopped, {b}, 1001);
  EXPECT_TRUE(shell.runs.empty());
  keys.post_start(stopped);
  keys.post_start(stopped);
  ASSERT_EQ(shell.runs.size(), 2u);
  EXPECT_EQ(shell.runs[0].second, install_keys_script({a, b}));
  EXPECT_EQ(shell.runs[1].second, shell.runs[0].second);
}

TEST_F(AuthorizedKeysTest, StartWithoutKeysOrNetworkTouchesNoGuest) {
  keys.post_start(running);
  attachments.attachment.reset();
  keys.add(running, {key()}, 1000);
  keys.post_start(running);
  EXPECT_TRUE(shell.runs.empty());
}

TEST_F(AuthorizedKeysTest, GuestThatCannotTakeTheKeyLeavesNothingStored) {
  const auto old = key("old");
  keys.add(running, {old}, 1000);
  shell.fail = true;
  EXPECT_EQ(kind_of([&] { keys.add(running, {old, key("new")}, 1000); }), ErrorKind::backend_failed);
  const auto stored = store.list_authorized_keys("r1");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].line, old.line());
  EXPECT_EQ(events.changes.size(), 1u);  // only the first add
}

TEST_F(AuthorizedKeysTest, DaemonsOwnKeyIsRefused) {
  EXPECT_NE(error_message_of(ErrorKind::invalid_args, [&] { keys.add(stopped, {daemon_key}, 1000); })
                .find("bangerd's own key"),
            std::string::npos);
  EXPECT_TRUE(store.list_authorized_keys("s1").empty());
}

TEST_F(AuthorizedKeysTest, AtMostSixtyFourKeysPerVm) {
  std::vector<SshPublicKey> batch;
  for (std::size_t i = 0; i < AuthorizedKeys::max_keys_per_vm; ++i) batch.push_back(key());
  keys.add(stopped, {batch.begin(), batch.begin() + 32}, 1000);
  keys.add(stopped, {batch.begin() + 32, batch.end()}, 1000);
  EXPECT_EQ(kind_of([&] { keys.add(stopped, {key()}, 1000); }), ErrorKind::invalid_args);
  EXPECT_EQ(store.list_authorized_keys("s1").size(), AuthorizedKeys::max_keys_per_vm);
  keys.add(stopped, {batch.front()}, 1000);  // one it holds: nothing new
}

TEST_F(AuthorizedKeysTest, RemoveTakesKeysFromGuestAndStore) {
  const auto a = key("a");
  const auto b = key("b");
  keys.add(running, {a, b}, 1000);
  keys.remove(running, {a.fingerprint});
  ASSERT_EQ(shell.runs.size(), 2u);
  EXPECT_EQ(shell.runs[1].second, remove_keys_script({a.blob}));
  ASSERT_EQ(store.list_authorized_keys("r1").size(), 1u);
  EXPECT_EQ(events.changes.back().second, (std::vector<AuthorizedKeyInfo>{{b.fingerprint, "b"}}));
  EXPECT_NE(error_message_of(ErrorKind::invalid_args, [&] { keys.remove(running, {a.fingerprint}); })
                .find("holds no key " + a.fingerprint),
            std::string::npos);
  shell.fail = true;
  EXPECT_EQ(kind_of([&] { keys.remove(running, {b.fingerprint}); }), ErrorKind::backend_failed);
  EXPECT_EQ(store.list_authorized_keys("r1").size(), 1u);  // still in the guest, so still listed
}

TEST_F(AuthorizedKeysTest, AllListsEveryVmWithKeys) {
  const auto a = key("a");
  keys.add(stopped, {a}, 1000);
  const auto all = keys.all();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all.at("s1"), (std::vector<AuthorizedKeyInfo>{{a.fingerprint, "a"}}));
}

// The scripts as the guest's sh runs them, on a file of the test's own.
class GuestScriptTest : public ::testing::Test {
 protected:
  void run(const std::string& script) {
    const auto file = dir.path / "script.sh";
    std::ofstream(file) << script << "\n";
    ASSERT_EQ(std::system(("sh '" + file.string() + "'").c_str()), 0) << script;
  }
  TempDir dir{"guest-keys"};
  std::filesystem::path keys_file = dir.path / "ssh" / "authorized_keys";
};

TEST_F(GuestScriptTest, InstallAppendsOnlyMissingKeysAndKeepsTheDaemons) {
  const auto daemon = parse_ssh_public_key(generated_public_key() + " banger@host");
  const auto a = parse_ssh_public_key(generated_public_key() + " it's a");
  const auto b = parse_ssh_public_key(generated_public_key());
  std::filesystem::create_directories(keys_file.parent_path());
  std::ofstream(keys_file) << daemon.line();  // as the guest's init writes it: no final newline
  run(install_keys_script({a}, keys_file));
  run(install_keys_script({a, b}, keys_file));
  EXPECT_EQ(read_text(keys_file), daemon.line() + "\n" + a.line() + "\n" + b.line() + "\n");
  EXPECT_EQ(std::filesystem::status(keys_file).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  run(remove_keys_script({a.blob}, keys_file));
  EXPECT_EQ(read_text(keys_file), daemon.line() + "\n" + b.line() + "\n");
  run(remove_keys_script({daemon.blob, b.blob}, keys_file));
  EXPECT_EQ(read_text(keys_file), "");
}

TEST_F(GuestScriptTest, InstallMakesAMissingFile) {
  const auto a = parse_ssh_public_key(generated_public_key());
  run(install_keys_script({a}, keys_file));
  EXPECT_EQ(read_text(keys_file), a.line() + "\n");
  std::filesystem::remove_all(keys_file.parent_path());
  run(remove_keys_script({a.blob}, keys_file));  // nothing to remove from
  EXPECT_FALSE(std::filesystem::exists(keys_file));
}

}  // namespace
}  // namespace banger
