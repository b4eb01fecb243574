// AddAuthorizedKeys' lines and RemoveAuthorizedKeys' fingerprints.
#include <string>
#include <vector>

#include "capabilities/ssh_public_key.h"
#include "fuzz_support.h"

using namespace banger;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  fuzz::expect_result_or_domain_error([&] {
    SshPublicKey key = parse_ssh_public_key(text);
    // A key that was taken is taken again from its own line, as the same key.
    SshPublicKey again = parse_ssh_public_key(key.line());
    if (again.fingerprint != key.fingerprint || again.blob != key.blob) __builtin_trap();
  });
  // The same bytes as a list split at newlines, and as fingerprints.
  std::vector<std::string> lines;
  std::string::size_type start = 0;
  const std::string whole(text);
  for (auto end = whole.find('\n'); end != std::string::npos; end = whole.find('\n', start = end + 1))
    lines.push_back(whole.substr(start, end - start));
  lines.push_back(whole.substr(start));
  fuzz::expect_result_or_domain_error([&] { parse_ssh_public_keys(lines); });
  fuzz::expect_result_or_domain_error([&] { validate_fingerprints(lines); });
  return 0;
}
