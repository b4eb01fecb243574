#pragma once
// A fixture over bridged_vm.h's layout: the namespaces (the host one entered),
// the vm's answering server, forwarding on and banger's NAT table for bgr0, as
// the daemon keeps them. Skips without root, nft or python3.
#include <gtest/gtest.h>
#include <signal.h>

#include <memory>
#include <string>

#include "bridged_vm.h"
#include "net/nat_forwarding.h"
#include "net/nat_table.h"
#include "netns.h"

namespace banger::test {

class BridgedVmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const auto why = netns_unavailable({.programs = {"nft", "python3"}})) GTEST_SKIP() << *why;
    vm_ = std::make_unique<ScopedNetns>(false);
    outside_ = std::make_unique<ScopedNetns>(false);
    host_ = std::make_unique<ScopedNetns>();
    std::string failed;
    server_pid_ = bridged_vm_with_server(*host_, *vm_, *outside_, failed);
    ASSERT_GT(server_pid_, 0) << failed;
    enable_ipv4_forwarding();
    NatTable().apply({{"bgr0", "10.201.0.0/24", true}});
  }
  void TearDown() override {
    if (server_pid_ > 0) kill(server_pid_, SIGTERM);
  }

  std::unique_ptr<ScopedNetns> vm_;
  std::unique_ptr<ScopedNetns> outside_;
  std::unique_ptr<ScopedNetns> host_;
  int server_pid_ = -1;
};

}  // namespace banger::test
