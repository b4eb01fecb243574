// bangerd.toml: any text answers a Config or a ConfigError naming the key.
#include "config.h"
#include "fuzz_support.h"

using namespace banger;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::expect_result_or_domain_error<ConfigError>([&] { parse_config(fuzz::as_text(data, size), "fuzz.toml"); });
  return 0;
}
