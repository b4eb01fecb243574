#pragma once
// bench-bus's side of bench-bus-bare (bare_bus_server.cpp): starts it on the
// Stack's bus once bangerd holds its VMs, and talks to it as to bangerd.
#include <sys/types.h>

#include <memory>
#include <string>

#include <sdbus-c++/sdbus-c++.h>

#include "bench_support.h"

namespace banger::bench {

// The bus policy that lets root own the bare server's name and anyone call it,
// for Stack's `extra_policy`.
std::string bare_server_policy();

class BareServer {
 public:
  // Copies `vm_path`'s State and bangerd's GetManagedObjects reply, then serves them.
  BareServer(Stack& stack, const std::string& executable, const std::string& vm_path);
  ~BareServer();
  BareServer(const BareServer&) = delete;
  BareServer& operator=(const BareServer&) = delete;

  pid_t pid() const { return pid_; }
  sdbus::IProxy& vm() { return *vm_; }      // the VM path: Properties.Get(VM, State)
  sdbus::IProxy& root() { return *root_; }  // the root path: GetManagedObjects

 private:
  pid_t pid_ = -1;
  std::unique_ptr<sdbus::IProxy> vm_, root_;
};

// Why the two GetManagedObjects replies differ in shape (objects, interfaces,
// property names, value signatures); empty when they do not.
std::string shape_difference(sdbus::IProxy& bangerd_root, sdbus::IProxy& bare_root);

}  // namespace banger::bench
