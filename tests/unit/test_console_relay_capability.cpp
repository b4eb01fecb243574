// The console-relay capability with the real banger-console-relay: a relay
// per run, its pty handed to the VMM, spared by the start-up sweep, ended by cleanup.
#include "capabilities/console_relay.h"
#include "console_relay_fixture.h"
#include "core/errors.h"

namespace banger::test {
namespace {

class RelayCapabilityTest : public RelayTest {
 protected:
  VmRecord vm() const {
    VmRecord record;
    record.id = dir.filename().string();
    record.name = "web";
    return record;
  }
};

TEST_F(RelayCapabilityTest, EachRunGetsARelayWhosePtyIsTheVmmsSerialConsole) {
  ConsoleRelayCapability capability(relay_binary, runtime);
  capability.prepare_host(vm());
  MachineConfig machine;
  capability.contribute_machine(vm(), machine);
  ASSERT_EQ(machine.serial_tty.string().rfind("/dev/pts/", 0), 0u) << machine.serial_tty;

  vmm = spawn_detached_on_tty({"/bin/sh", "-c", fake_vmm_script}, machine.serial_tty, dir / "vmm.err");
  auto console = capability.connect(vm().id);
  send_text(console.get(), "hello\n");
  EXPECT_NE(read_until(console.get(), "guest-got:hello").find("guest-got:hello"), std::string::npos);
  EXPECT_NE(wait_for_text([&] { return log(); }, "guest-got:hello").find("guest-hello"), std::string::npos);

  const auto relays = capability.running_relays();
  ASSERT_EQ(relays.size(), 1u);
  EXPECT_TRUE(is_running(relays[0]));
  // The sweep of unrecorded VMMs sees the relay as one of them (a terminal-less
  // session leader naming the VM's dir) and spares it only when kept.
  EXPECT_EQ(kill_unrecorded_vmms(runtime, {relays[0], vmm}), 0);
  EXPECT_TRUE(is_running(relays[0]));

  capability.cleanup(vm(), CleanupReason::stopped);
  EXPECT_FALSE(is_running(relays[0]));
  EXPECT_TRUE(capability.running_relays().empty());
  EXPECT_FALSE(fs::exists(dir / console_socket_name));
  try {
    capability.connect(vm().id);
    ADD_FAILURE() << "connected to a relay that was ended";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_state);
  }
}

TEST_F(RelayCapabilityTest, TheSweepEndsARelayNotKept) {
  ConsoleRelayCapability capability(relay_binary, runtime);
  capability.prepare_host(vm());
  const auto relays = capability.running_relays();
  ASSERT_EQ(relays.size(), 1u);
  EXPECT_EQ(kill_unrecorded_vmms(runtime, {}), 1);
  EXPECT_TRUE(wait_gone(relays[0], 5s));
  capability.cleanup(vm(), CleanupReason::stopped);  // a relay already gone is fine
}

TEST_F(RelayCapabilityTest, ARelayThatCannotStartFailsTheStart) {
  ConsoleRelayCapability capability("/bin/false", runtime);
  try {
    capability.prepare_host(vm());
    ADD_FAILURE() << "prepare_host accepted a relay that exited";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::backend_failed);
  }
  capability.cleanup(vm(), CleanupReason::start_failed);
  EXPECT_FALSE(fs::exists(dir / "console-relay.json"));
}

}  // namespace
}  // namespace banger::test
