#pragma once
// bangerctl ssh, exec and console on a suspended VM (idle sleep, issue 19):
// start it first, as a TCP connection to it would.
#include <iostream>

#include "banger/client.h"

namespace bangerctl {

inline banger::client::VmInfo awake(banger::client::Client& client, banger::client::VmInfo vm) {
  if (vm.state != "suspended") return vm;
  std::cerr << "bangerctl: VM '" << vm.name << "' is suspended; starting it\n";
  client.start(vm.id);
  return client.get_vm(vm.id);
}

}  // namespace bangerctl
