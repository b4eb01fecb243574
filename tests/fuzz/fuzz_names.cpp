// Names and references: VM, image and network names, refs resolved against a
// pool of records, subnets and addresses, forward protocols, workspace paths,
// the small enumerations read back from the store.
#include <fuzzer/FuzzedDataProvider.h>

#include <string>
#include <vector>

#include "core/image_parts.h"
#include "core/network_manager.h"
#include "core/options.h"
#include "core/port_forward.h"
#include "core/ref_lookup.h"
#include "core/vm.h"
#include "fuzz_support.h"
#include "core/ipv4.h"
#include "net/nat_input.h"
#include "workspace/entry_rules.h"

using namespace banger;

namespace {

struct Named {
  std::string id;
  std::string name;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  std::vector<Named> pool;
  const int records = in.ConsumeIntegralInRange<int>(0, 4);
  for (int i = 0; i < records; ++i) pool.push_back({in.ConsumeRandomLengthString(64), in.ConsumeRandomLengthString(64)});
  const std::string text = in.ConsumeRemainingBytesAsString();

  fuzz::expect_result_or_domain_error([&] { validate_vm_name(text); });
  fuzz::expect_result_or_domain_error([&] { validate_image_name(text); });
  fuzz::expect_result_or_domain_error([&] { validate_network_name(text); });
  fuzz::expect_result_or_domain_error([&] { validate_forward_protocol(text); });
  fuzz::expect_result_or_domain_error([&] {
    const Named& found = resolve_record_ref(std::span<const Named>(pool), text, "VM", ErrorKind::no_such_vm);
    // A ref resolves only to a record it names or prefixes.
    if (!found.id.starts_with(text) && !found.name.starts_with(text)) __builtin_trap();
  });
  fuzz::expect_result_or_domain_error([&] {
    if (auto cidr = net::parse_cidr(text)) {
      if (cidr->prefix > 32) __builtin_trap();
      net::to_string(*cidr);
    }
  });
  fuzz::expect_result_or_domain_error([&] {
    if (auto address = net::parse_ipv4(text); address && net::parse_ipv4(net::to_string_ipv4(*address)) != address)
      __builtin_trap();  // an address survives printing and reading back
  });
  fuzz::expect_result_or_domain_error([&] { net::parse_network_subnet(text); });
  fuzz::expect_result_or_domain_error([&] { parse_subnet(text); });
  fuzz::expect_result_or_domain_error([&] { validate_interface_name(text); });
  fuzz::expect_result_or_domain_error([&] { workspace::normalised_relative(text, "option 'target'"); });
  parse_image_part(text);
  parse_vm_state(text);
  return 0;
}
