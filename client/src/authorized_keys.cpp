#include <openssl/evp.h>

#include <sstream>

#include "banger/client.h"

#include "client_impl.h"

namespace banger::client {

void Client::add_authorized_keys(const std::string& ref, const std::vector<std::string>& public_keys) {
  impl_->on_vm(ref, [&](VmProxy& vm) { vm.AddAuthorizedKeys(public_keys); });
}

void Client::remove_authorized_keys(const std::string& ref, const std::vector<std::string>& fingerprints) {
  impl_->on_vm(ref, [&](VmProxy& vm) { vm.RemoveAuthorizedKeys(fingerprints); });
}

std::vector<AuthorizedKey> Client::authorized_keys(const std::string& ref) {
  std::vector<AuthorizedKey> out;
  impl_->on_vm(ref, [&](VmProxy& vm) {
    for (const auto& key : vm.AuthorizedKeys()) out.push_back({key.get<0>(), key.get<1>()});
  });
  return out;
}

std::string public_key_fingerprint(const std::string& public_key_line) {
  std::istringstream words(public_key_line);
  std::string type, blob;
  words >> type >> blob;
  auto bad = [&] { return Error(ErrorCode::usage, "", "not an OpenSSH public key line: " + public_key_line.substr(0, 60)); };
  if (blob.empty() || blob.size() % 4 != 0) throw bad();
  std::string raw(blob.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(raw.data()),
                                reinterpret_cast<const unsigned char*>(blob.data()), static_cast<int>(blob.size()));
  if (n < 0) throw bad();
  // EVP_DecodeBlock counts the padding's zero bytes as data.
  size_t length = static_cast<size_t>(n);
  for (size_t i = blob.size(); i > 0 && blob[i - 1] == '='; --i) --length;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  if (EVP_Digest(raw.data(), length, digest, &digest_length, EVP_sha256(), nullptr) != 1) throw bad();
  std::string text(4 * ((digest_length + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()), digest, static_cast<int>(digest_length));
  text.resize(static_cast<size_t>(written));
  while (!text.empty() && text.back() == '=') text.pop_back();  // ssh-keygen leaves the padding out
  return "SHA256:" + text;
}

}  // namespace banger::client
