#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/errors.h"
#include "capabilities/ssh_public_key.h"
#include "error_kind.h"
#include "ssh_public_key_fixtures.h"

namespace banger {
namespace {

using namespace banger::testing;

std::string invalid_message(const std::vector<std::string>& lines) {
  return error_message_of(ErrorKind::invalid_args, [&] { parse_ssh_public_keys(lines); });
}

// ssh-keygen's own idea of the key's fingerprint, the one users compare with.
std::string ssh_keygen_fingerprint(const std::string& line) {
  const auto file = std::filesystem::temp_directory_path() / ("banger-pubkey-" + std::to_string(getpid()) + ".pub");
  std::ofstream(file) << line << "\n";
  std::string out;
  if (FILE* p = popen(("ssh-keygen -l -E sha256 -f '" + file.string() + "'").c_str(), "r")) {
    char buffer[512];
    while (fgets(buffer, sizeof buffer, p) != nullptr) out += buffer;
    pclose(p);
  }
  std::filesystem::remove(file);
  // "256 SHA256:… comment (ED25519)"
  const auto start = out.find("SHA256:");
  return start == std::string::npos ? out : out.substr(start, out.find(' ', start) - start);
}

TEST(SshPublicKey, ParsesEachCommonTypeWithCommentAndFingerprint) {
  for (auto [type, bits] : {std::pair{SSH_KEYTYPE_ED25519, 0}, std::pair{SSH_KEYTYPE_ECDSA_P256, 256},
                            std::pair{SSH_KEYTYPE_ECDSA_P384, 384}, std::pair{SSH_KEYTYPE_RSA, 2048}}) {
    const std::string bare = generated_public_key(type, bits);
    const auto key = parse_ssh_public_key("  " + bare + "  alice@laptop  work key ");
    EXPECT_EQ(key.type, bare.substr(0, bare.find(' ')));
    EXPECT_EQ(key.type + " " + key.blob, bare);
    EXPECT_EQ(key.comment, "alice@laptop  work key");
    EXPECT_EQ(key.line(), bare + " alice@laptop  work key");
    EXPECT_EQ(key.fingerprint, ssh_keygen_fingerprint(bare));
  }
}

TEST(SshPublicKey, CommentIsOptional) {
  const std::string bare = generated_public_key();
  const auto key = parse_ssh_public_key(bare);
  EXPECT_EQ(key.comment, "");
  EXPECT_EQ(key.line(), bare);
}

TEST(SshPublicKey, RefusesWhatIsNotOneBareKey) {
  const std::string good = generated_public_key();
  const std::string blob = good.substr(good.find(' ') + 1);
  EXPECT_NE(invalid_message({good, ""}).find("key 2 is empty"), std::string::npos);
  EXPECT_NE(invalid_message({"   "}).find("key 1 is empty"), std::string::npos);
  EXPECT_NE(invalid_message({good + "\n" + good}).find("key 1 holds a line break"), std::string::npos);
  EXPECT_NE(invalid_message({good + " a\rb"}).find("line break or control character"), std::string::npos);
  EXPECT_NE(invalid_message({"command=\"/bin/sh\" " + good}).find("key 1 starts with options"), std::string::npos);
  EXPECT_NE(invalid_message({"-----BEGIN OPENSSH PRIVATE KEY----- b3BlbnNzaC1rZXktdjEAAAAA"}).find("private key"),
            std::string::npos);
  EXPECT_NE(invalid_message({"hello world"}).find("not an OpenSSH public key"), std::string::npos);
  EXPECT_NE(invalid_message({"ssh-ed25519"}).find("no key data"), std::string::npos);
  EXPECT_NE(invalid_message({"ssh-ed25519 AAAAnotbase64!!"}).find("not a valid ssh-ed25519 key"), std::string::npos);
  // libssh refuses the data for the wrong type itself, or reads it and the types differ.
  EXPECT_NE(invalid_message({"ssh-rsa " + blob}).find("key 1"), std::string::npos);
  EXPECT_NE(invalid_message({good + " " + std::string(max_public_key_line, 'x')}).find("bytes long"),
            std::string::npos);
}

TEST(SshPublicKey, ListMustHoldOneToThirtyTwoKeys) {
  EXPECT_NE(invalid_message({}).find("no keys given"), std::string::npos);
  const std::vector<std::string> many(max_public_keys_per_call + 1, generated_public_key());
  EXPECT_NE(invalid_message(many).find("33 keys given"), std::string::npos);
  const std::vector<std::string> most(max_public_keys_per_call, generated_public_key());
  EXPECT_EQ(parse_ssh_public_keys(most).size(), 1u);  // all the same key
}

TEST(SshPublicKey, SameKeyWithAnotherCommentCountsOnce) {
  const std::string a = generated_public_key();
  const std::string b = generated_public_key();
  const auto keys = parse_ssh_public_keys({a + " first", b, a + " again"});
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].comment, "first");
  EXPECT_EQ(keys[1].line(), b);
}

TEST(SshPublicKey, FingerprintsAreChecked) {
  const auto key = parse_ssh_public_key(generated_public_key());
  EXPECT_NO_THROW(validate_fingerprints({key.fingerprint}));
  EXPECT_EQ(kind_of([] { validate_fingerprints({}); }), ErrorKind::invalid_args);
  EXPECT_EQ(kind_of([] { validate_fingerprints({"MD5:00:11"}); }), ErrorKind::invalid_args);
  EXPECT_EQ(kind_of([&] { validate_fingerprints({key.fingerprint + "x"}); }), ErrorKind::invalid_args);
  EXPECT_EQ(kind_of([&] { validate_fingerprints({key.fingerprint.substr(0, 49) + "!"}); }), ErrorKind::invalid_args);
  EXPECT_EQ(kind_of([&] {
              validate_fingerprints(std::vector<std::string>(max_public_keys_per_call + 1, key.fingerprint));
            }),
            ErrorKind::invalid_args);
}

}  // namespace
}  // namespace banger
