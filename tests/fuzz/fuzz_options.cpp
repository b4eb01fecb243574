// The option dictionaries of CreateVM, VM.Set, CreateNetwork and the
// workspace's Push/Pull: every value type, boundary numbers, unknown keys;
// and VM.AddForward's protocol and ports.
#include <fuzzer/FuzzedDataProvider.h>

#include "core/network_manager.h"
#include "core/options.h"
#include "core/port_forward.h"
#include "fuzz_support.h"
#include "option_map_decoder.h"
#include "workspace/workspaces.h"

using namespace banger;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const HostLimits limits{in.ConsumeIntegralInRange<std::uint32_t>(1, 512),
                          in.ConsumeIntegralInRange<std::uint64_t>(128, std::uint64_t{1} << 24)};
  const std::string name = in.ConsumeRandomLengthString(80);
  const std::string protocol = in.PickValueInArray({"tcp", "udp", "sctp", ""});
  const auto host_port = in.ConsumeIntegral<std::uint16_t>();
  const auto guest_port = in.ConsumeIntegral<std::uint16_t>();
  const OptionMap options = fuzz::decode_option_map(in);

  fuzz::expect_result_or_domain_error([&] {
    validate_forward(protocol, host_port, guest_port);
    if (host_port < min_forward_host_port || guest_port == 0) __builtin_trap();
  });

  fuzz::expect_result_or_domain_error([&] {
    CreateSpec spec = parse_create_request(name, options, CreateDefaults{}, limits);
    // What the parser takes from the options is within the bounds it promises.
    if (options.contains("vcpus") && (spec.vcpus < 1 || spec.vcpus > limits.cpu_cores)) __builtin_trap();
    if (options.contains("memory") && (spec.memory_mib < min_memory_mib || spec.memory_mib > limits.memory_mib))
      __builtin_trap();
    if (spec.disk_mib > max_disk_mib || spec.work_disk_mib > max_disk_mib) __builtin_trap();
  });
  fuzz::expect_result_or_domain_error([&] { parse_changes(options, limits); });
  fuzz::expect_result_or_domain_error([&] { parse_network_options(name, options); });
  fuzz::expect_result_or_domain_error([&] { parse_push_options(options); });
  fuzz::expect_result_or_domain_error([&] { parse_pull_options(options); });
  return 0;
}
