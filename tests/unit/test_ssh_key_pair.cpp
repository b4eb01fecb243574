#include <gtest/gtest.h>

#include <libssh/libssh.h>
#include <sys/stat.h>

#include <fstream>

#include "capabilities/ssh_key_pair.h"
#include "ssh_fixtures.h"

namespace banger {
namespace {

namespace fs = std::filesystem;

struct SshKeyPairTest : ::testing::Test {
  testing::TempDir temp{"ssh-key"};
  fs::path dir = temp.path / "ssh";
  fs::path private_key = dir / "id_ed25519";
  fs::path public_key = dir / "id_ed25519.pub";

  static unsigned mode_of(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 07777;
  }

  std::string load_failure() {
    return testing::backend_failure_of([&] { SshKeyPair::load_or_create(dir); });
  }
};

TEST_F(SshKeyPairTest, FirstUseMakesAnOpenSshKeyWithPrivateModes) {
  const auto key = SshKeyPair::load_or_create(dir, "banger@test");
  EXPECT_EQ(key.private_key_file(), private_key);
  EXPECT_EQ(key.public_key_file(), public_key);
  EXPECT_EQ(mode_of(dir), 0700u);
  EXPECT_EQ(mode_of(private_key), 0600u);
  EXPECT_EQ(mode_of(public_key), 0644u);
  EXPECT_EQ(testing::read_text(private_key).rfind("-----BEGIN OPENSSH PRIVATE KEY-----\n", 0), 0u);
  EXPECT_EQ(key.public_key().rfind("ssh-ed25519 AAAA", 0), 0u) << key.public_key();
  EXPECT_EQ(key.public_key().substr(key.public_key().size() - 12), " banger@test");
  EXPECT_EQ(testing::read_text(public_key), key.public_key() + "\n");
  EXPECT_EQ(key.fingerprint().rfind("SHA256:", 0), 0u);
  EXPECT_EQ(key.fingerprint().size(), 7u + 43u);  // base64 of 32 bytes, unpadded
  EXPECT_FALSE(fs::exists(private_key.string() + ".tmp"));
}

TEST_F(SshKeyPairTest, OpenSshReadsTheKeyAndAgreesOnItsFingerprint) {
  if (!testing::shell_output("command -v ssh-keygen", temp.path)) GTEST_SKIP() << "ssh-keygen is not installed";
  const auto key = SshKeyPair::load_or_create(dir, "banger@test");
  const auto derived = testing::shell_output("ssh-keygen -y -f '" + private_key.string() + "'", temp.path);
  ASSERT_TRUE(derived);
  EXPECT_EQ(key.public_key().rfind(derived->substr(0, derived->find_first_of(" \n", 12)), 0), 0u) << *derived;
  const auto listed = testing::shell_output("ssh-keygen -l -E sha256 -f '" + public_key.string() + "'", temp.path);
  ASSERT_TRUE(listed);
  EXPECT_NE(listed->find(" " + key.fingerprint() + " "), std::string::npos) << *listed;
}

TEST_F(SshKeyPairTest, LoadingAgainGivesTheSameKey) {
  const auto made = SshKeyPair::load_or_create(dir, "banger@test");
  const std::string file = testing::read_text(private_key);
  const auto loaded = SshKeyPair::load_or_create(dir, "banger@elsewhere");
  EXPECT_EQ(loaded.public_key(), made.public_key());  // the .pub file's comment stays
  EXPECT_EQ(loaded.fingerprint(), made.fingerprint());
  EXPECT_EQ(ssh_key_cmp(loaded.key(), made.key(), SSH_KEY_CMP_PRIVATE), 0);
  EXPECT_EQ(testing::read_text(private_key), file);
  EXPECT_NO_THROW(loaded.check_file());
}

TEST_F(SshKeyPairTest, DirectoryIsMadePrivateEvenWhenItExisted) {
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::all);
  SshKeyPair::load_or_create(dir);
  EXPECT_EQ(mode_of(dir), 0700u);
}

TEST_F(SshKeyPairTest, PublicKeyFileIsWrittenAgainFromThePrivateKey) {
  const auto made = SshKeyPair::load_or_create(dir, "banger@test");
  fs::remove(public_key);
  EXPECT_EQ(SshKeyPair::load_or_create(dir, "banger@test").public_key(), made.public_key());
  EXPECT_EQ(testing::read_text(public_key), made.public_key() + "\n");

  std::ofstream(public_key, std::ios::trunc) << "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOtherKeyOtherKeyOtherKeyOtherKeyOtherKeyOt x@y\n";
  EXPECT_EQ(SshKeyPair::load_or_create(dir, "banger@test").public_key(), made.public_key());
  EXPECT_EQ(testing::read_text(public_key), made.public_key() + "\n");
}

TEST_F(SshKeyPairTest, LeftoverTemporaryFileFromACrashIsReplaced) {
  fs::create_directories(dir);
  std::ofstream(private_key.string() + ".tmp") << "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn";
  fs::permissions(private_key.string() + ".tmp", fs::perms::all);
  const auto key = SshKeyPair::load_or_create(dir);
  EXPECT_FALSE(fs::exists(private_key.string() + ".tmp"));
  EXPECT_EQ(mode_of(private_key), 0600u);
  EXPECT_NO_THROW(key.check_file());
}

TEST_F(SshKeyPairTest, CorruptKeyIsAnErrorNamingTheFileAndIsLeftAlone) {
  SshKeyPair::load_or_create(dir);
  const std::string whole = testing::read_text(private_key);
  for (const std::string& content : {std::string(), std::string("garbage\n"), whole.substr(0, whole.size() / 2)}) {
    std::ofstream(private_key, std::ios::trunc) << content;
    const std::string message = load_failure();
    EXPECT_NE(message.find(private_key.string()), std::string::npos) << message;
    EXPECT_NE(message.find("corrupt"), std::string::npos) << message;
    EXPECT_EQ(testing::read_text(private_key), content);  // never replaced: VMs may still hold the old key
  }
}

TEST_F(SshKeyPairTest, UnreadableKeyIsAnErrorNamingTheFile) {
  fs::create_directories(private_key);  // reading a directory fails even for root
  const std::string message = load_failure();
  EXPECT_NE(message.find(private_key.string()), std::string::npos) << message;
  EXPECT_NE(message.find("Is a directory"), std::string::npos) << message;
}

TEST_F(SshKeyPairTest, KeyOfAnotherTypeIsRefused) {
  ssh_key ecdsa = nullptr;
  ASSERT_EQ(ssh_pki_generate(SSH_KEYTYPE_ECDSA_P256, 256, &ecdsa), SSH_OK);
  fs::create_directories(dir);
  ASSERT_EQ(ssh_pki_export_privkey_file(ecdsa, nullptr, nullptr, nullptr, private_key.c_str()), SSH_OK);
  ssh_key_free(ecdsa);
  const std::string message = load_failure();
  EXPECT_NE(message.find("not an Ed25519"), std::string::npos) << message;
}

TEST_F(SshKeyPairTest, CheckFileNoticesAKeyThatChangedOrWentAway) {
  const auto key = SshKeyPair::load_or_create(dir);
  fs::remove(private_key);
  SshKeyPair::load_or_create(dir);  // a new key in its place
  std::string message = testing::backend_failure_of([&] { key.check_file(); });
  EXPECT_NE(message.find("changed since bangerd started"), std::string::npos) << message;
  fs::remove(private_key);
  message = testing::backend_failure_of([&] { key.check_file(); });
  EXPECT_NE(message.find("gone"), std::string::npos) << message;
}

}  // namespace
}  // namespace banger
