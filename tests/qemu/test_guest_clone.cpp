// VM.Clone on a real guest: the real bangerd (QEMU, the default image, taps
// and SSH) in a network namespace of this suite's own, as in bus-guest-network.
// The copy has the source's files on both disks, but its own id, MAC, address,
// name and SSH host key.
#include <string>

#include "bangerd_netns.h"
#include "default_image.h"
#include "guest_shell.h"
#include "test_support.h"

namespace banger::test {
namespace {

class GuestClone : public RealGuestTest {
 protected:
  static void SetUpTestSuite() {
    if (!enter_namespace({.programs = {"ssh", "debugfs"}, .devices = {"/dev/net/tun"}})) return;
    ClientTest::SetUpTestSuite();
  }

  void start(const std::string& vm) {
    call(vm, "Start");
    ASSERT_TRUE(client_->wait_state(*recorder_, vm, "running", 60s)) << client_->vm_string(vm, "LastError");
  }
  void stop(const std::string& vm) {
    call(vm, "Stop");
    ASSERT_TRUE(client_->wait_state(*recorder_, vm, "stopped", 60s)) << client_->vm_string(vm, "LastError");
  }
  InGuest shell(const std::string& vm) {
    return ssh_ready(ssh_into(*netns_, daemon_ssh_key(env()), client_->vm_string(vm, "IPv4Address")),
                     [&] { return console_of(*client_, vm, client_->vm_string(vm, "Name")); });
  }
  // VM.Clone → the copy's path, once its Operation made it.
  std::string clone(const std::string& vm, const std::string& name) {
    auto proxy = sdbus::createProxy(*connection_, kService, vm);
    sdbus::ObjectPath copy, op;
    proxy->callMethod("Clone").onInterface(kVm).withArguments(name).storeResultsTo(copy, op);
    EXPECT_TRUE(client_->wait_state(*recorder_, copy, "created", 120s)) << client_->vm_string(copy, "LastError");
    return copy;
  }
};

TEST_F(GuestClone, TheCopyHasTheSourcesFilesButItsOwnIdentity) {
  auto image = build_and_import_default_image(env());
  ASSERT_TRUE(image.ok()) << image.describe();
  const auto source = client_->create_ready(*recorder_, "original", {{"memory", sdbus::Variant(256u)},
                                                                      {"work_disk", sdbus::Variant(256u)}});
  ASSERT_NO_FATAL_FAILURE(start(source));
  auto in_source = shell(source);
  ASSERT_EQ(in_source("echo on the root disk > /root/root.txt && echo on the work disk > /work/work.txt && sync")
                .status,
            0);
  // dropbear made its host key at the first connection (-R): the copy must not keep it.
  const auto source_key = in_source("md5sum /etc/dropbear/dropbear_ed25519_host_key").out;
  ASSERT_FALSE(source_key.empty());

  try {
    clone(source, "running-copy");
    ADD_FAILURE() << "a running VM was cloned";
  } catch (const sdbus::Error& e) {
    EXPECT_EQ(e.getName(), "dev.banger.banger1.Error.InvalidState") << e.getMessage();
  }

  ASSERT_NO_FATAL_FAILURE(stop(source));
  const auto copy = clone(source, "copy");
  ASSERT_FALSE(copy.empty());
  EXPECT_NE(client_->vm_string(copy, "Id"), client_->vm_string(source, "Id"));
  EXPECT_NE(client_->vm_string(copy, "MACAddress"), client_->vm_string(source, "MACAddress"));
  EXPECT_NE(client_->vm_string(copy, "IPv4Address"), client_->vm_string(source, "IPv4Address"));
  EXPECT_EQ(client_->vm_string(copy, "DNSName"), "copy.banger");
  EXPECT_EQ(client_->vm_string(copy, "RootDiskStrategy"), client_->vm_string(source, "RootDiskStrategy"));
  EXPECT_EQ(client_->vm_number(copy, "WorkDiskMiB"), 256u);

  // Both run side by side: the copy with the source's files, its own name and a new host key.
  ASSERT_NO_FATAL_FAILURE(start(source));
  ASSERT_NO_FATAL_FAILURE(start(copy));
  auto in_copy = shell(copy);
  EXPECT_EQ(in_copy("cat /root/root.txt").out, "on the root disk\n");
  EXPECT_EQ(in_copy("cat /work/work.txt").out, "on the work disk\n");
  EXPECT_EQ(in_copy("hostname").out, "copy\n");
  const auto copy_key = in_copy("md5sum /etc/dropbear/dropbear_ed25519_host_key").out;
  EXPECT_FALSE(copy_key.empty());
  EXPECT_NE(copy_key, source_key) << "the copy made its own SSH host key";
  // Issue 17, finding 6: each guest serves the host key bangerd gave it and pinned.
  const auto copy_pin = pinned_host_key(env(), client_->vm_string(copy, "Id"));
  const auto source_pin = pinned_host_key(env(), client_->vm_string(source, "Id"));
  EXPECT_FALSE(copy_pin.empty());
  EXPECT_NE(copy_pin, source_pin);
  EXPECT_EQ(in_copy(guest_host_key_command).out, copy_pin);
  EXPECT_EQ(shell(source)(guest_host_key_command).out, source_pin);
  EXPECT_EQ(shell(source)("cat /root/root.txt").out, "on the root disk\n");

  for (const auto& vm : {copy, source}) {
    ASSERT_NO_FATAL_FAILURE(stop(vm));
    client_->vm_call(vm, "Delete");
  }
}

}  // namespace
}  // namespace banger::test
