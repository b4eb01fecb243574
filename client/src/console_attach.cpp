#include "banger/client.h"

#include "client_impl.h"

namespace banger::client {

int Client::open_console(const std::string& ref) {
  int fd = -1;
  impl_->on_vm(ref, [&](VmProxy& vm) { fd = vm.OpenConsole().release(); });
  return fd;
}

}  // namespace banger::client
