#include "banger/client.h"

#include "client_impl.h"

namespace banger::client {

ConsoleOutput Client::read_console(const std::string& ref, std::uint64_t offset, std::uint32_t max_bytes) {
  ConsoleOutput out;
  impl_->on_vm(ref, [&](VmProxy& vm) {
    auto [data, next] = vm.ReadConsole(offset, max_bytes);
    out.data.assign(data.begin(), data.end());
    out.next_offset = next;
  });
  return out;
}

}  // namespace banger::client
