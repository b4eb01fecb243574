// Pause / Resume of a real guest (issue 19): the real bangerd (QEMU backend, the
// default image) in a network namespace of this suite's own. In the guest, a
// process (busybox nc) listens with its pid in a tmpfs; the host opens a TCP
// connection to it and sends a line. While the VM is paused the guest answers
// nothing (a new connection to its SSH port gets no SYN-ACK); after Resume the
// same process, the tmpfs file and the same connection are all still there.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "bangerd_netns.h"
#include "default_image.h"
#include "guest_shell.h"
#include "test_support.h"

namespace banger::test {
namespace {

namespace fs = std::filesystem;

constexpr int kGuestPort = 9000;

class GuestPause : public RealGuestTest {
 protected:
  static void SetUpTestSuite() {
    if (!enter_namespace({.programs = {"nft", "python3", "ssh"}, .devices = {"/dev/net/tun"}})) return;
    ClientTest::SetUpTestSuite();
  }

  // A TCP connect to the guest's SSH port within one second: what a paused guest cannot answer.
  bool guest_answers(const std::string& address) {
    return netns_->exec("python3 -c 'import socket; socket.create_connection((\"" + address +
                        "\", 22), timeout=1).close()' 2>/dev/null")
               .status == 0;
  }
};

TEST_F(GuestPause, AProcessItsTmpfsFileAndAnOpenConnectionOutlastAPause) {
  if (auto why = ssh_unavailable(daemon_ssh_key(env()))) GTEST_SKIP() << *why;
  auto image = build_and_import_default_image(env());
  ASSERT_TRUE(image.ok()) << "the default image could not be built or imported:\n" << image.describe();
  const auto vm = client_->create_ready(*recorder_, "pause-guest", {{"memory", sdbus::Variant(256u)}});
  call(vm, "Start");
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "running", 60s)) << client_->vm_string(vm, "LastError");
  const auto address = client_->vm_string(vm, "IPv4Address");
  auto in_guest = ssh_ready(ssh_into(*netns_, daemon_ssh_key(env()), address),
                            [&] { return console_of(*client_, vm, "pause-guest"); });

  // The guest's process: nc listening, what it receives and its pid in a tmpfs of its own.
  const auto listening = in_guest(
      "mkdir -p /mnt/pause && mount -t tmpfs pause /mnt/pause && echo kept > /mnt/pause/file && "
      "(nc -l -p " + std::to_string(kGuestPort) + " > /mnt/pause/received 2>&1 & echo $! > /mnt/pause/pid)");
  ASSERT_EQ(listening.status, 0) << listening.out;
  const auto pid_before = in_guest("cat /mnt/pause/pid").out;

  // The host's end: connects, sends "before", then "after" once the file `go` appears.
  const fs::path go = env().dir() / "pause-go";
  const fs::path done = env().dir() / "pause-done";
  const auto client = netns_->exec(
      "python3 -c 'import socket, os, time\n"
      "s = socket.create_connection((\"" + address + "\", " + std::to_string(kGuestPort) + "), timeout=10)\n"
      "s.sendall(b\"before\\n\")\n"
      "while not os.path.exists(\"" + go.string() + "\"): time.sleep(0.05)\n"
      "s.sendall(b\"after\\n\")\n"
      "time.sleep(1)\n"
      "open(\"" + done.string() + "\", \"w\").write(\"sent\")\n"
      "s.close()' >/dev/null 2>&1 & echo $!");
  ASSERT_TRUE(poll_until([&] { return in_guest("cat /mnt/pause/received").out == "before\n"; }, 20s))
      << in_guest("cat /mnt/pause/received").out;

  call(vm, "Pause");
  EXPECT_EQ(client_->vm_string(vm, "State"), "paused");
  EXPECT_FALSE(guest_answers(address)) << "a paused guest answers no new connection";
  EXPECT_EQ(client_->vm_string(vm, "IPv4Address"), address) << "a paused VM keeps its address";

  call(vm, "Resume");
  EXPECT_EQ(client_->vm_string(vm, "State"), "running");
  EXPECT_TRUE(poll_until([&] { return guest_answers(address); }, 20s)) << "the resumed guest answers again";
  EXPECT_EQ(in_guest("cat /mnt/pause/file").out, "kept\n") << "the tmpfs file";
  EXPECT_EQ(in_guest("cat /mnt/pause/pid").out, pid_before);
  EXPECT_EQ(in_guest("kill -0 $(cat /mnt/pause/pid) && echo alive").out, "alive\n") << "the same process";

  // The connection opened before the pause carries the next line to the same process.
  std::ofstream(go).put('\n');
  EXPECT_TRUE(poll_until([&] { return fs::exists(done); }, 20s)) << "the host's end could not send after the resume";
  EXPECT_TRUE(poll_until([&] { return in_guest("cat /mnt/pause/received").out == "before\nafter\n"; }, 20s))
      << in_guest("cat /mnt/pause/received").out;
  netns_->exec("kill " + client.out + " 2>/dev/null");
  client_->vm_call(vm, "Kill");
}

}  // namespace
}  // namespace banger::test
