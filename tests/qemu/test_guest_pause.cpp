// Pause / Resume and Suspend / Start of a real guest (issue 19): the real bangerd
// (QEMU backend, the default image) in a network namespace of this suite's own.
// In the guest, a process (busybox nc) listens with its pid in a tmpfs; the host
// opens a TCP connection to it and sends a line. While the VM is paused or
// suspended the guest answers nothing (a new connection to its SSH port gets no
// SYN-ACK); after Resume, or after Start restored the saved state (also when
// bangerd was SIGKILLed while the VM was suspended), the same process, the tmpfs
// file, the same boot and the same connection are all still there.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <functional>
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

  // Between the first and the second line over the host's connection: `interrupt` (the
  // guest must not answer while it lasts) and `revive` (the guest must run on after it).
  void expect_the_guest_outlasts(const std::string& name, const std::function<void(const std::string&)>& interrupt,
                                 const std::function<void(const std::string&)>& revive);

  // A TCP connect to the guest's SSH port within one second: what a paused guest cannot answer.
  bool guest_answers(const std::string& address) {
    return netns_->exec("python3 -c 'import socket; socket.create_connection((\"" + address +
                        "\", 22), timeout=1).close()' 2>/dev/null")
               .status == 0;
  }
};

void GuestPause::expect_the_guest_outlasts(const std::string& name,
                                           const std::function<void(const std::string&)>& interrupt,
                                           const std::function<void(const std::string&)>& revive) {
  if (auto why = ssh_unavailable(daemon_ssh_key(env()))) GTEST_SKIP() << *why;
  auto image = build_and_import_default_image(env());
  ASSERT_TRUE(image.ok()) << "the default image could not be built or imported:\n" << image.describe();
  const auto vm = client_->create_ready(*recorder_, name, {{"memory", sdbus::Variant(256u)}});
  call(vm, "Start");
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "running", 60s)) << client_->vm_string(vm, "LastError");
  const auto address = client_->vm_string(vm, "IPv4Address");
  auto in_guest = ssh_ready(ssh_into(*netns_, daemon_ssh_key(env()), address),
                            [&] { return console_of(*client_, vm, name); });

  // The guest's process: nc listening, what it receives and its pid in a tmpfs of its own.
  const auto listening = in_guest(
      "mkdir -p /mnt/pause && mount -t tmpfs pause /mnt/pause && echo kept > /mnt/pause/file && "
      "(nc -l -p " + std::to_string(kGuestPort) + " > /mnt/pause/received 2>&1 & echo $! > /mnt/pause/pid)");
  ASSERT_EQ(listening.status, 0) << listening.out;
  const auto pid_before = in_guest("cat /mnt/pause/pid").out;
  const auto boot_before = in_guest("cat /proc/sys/kernel/random/boot_id").out;

  // The host's end: connects, sends "before", then "after" once the file `go` appears.
  const fs::path go = env().dir() / (name + "-go");
  const fs::path done = env().dir() / (name + "-done");
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

  interrupt(vm);
  EXPECT_FALSE(guest_answers(address)) << "the guest answers no new connection meanwhile";
  EXPECT_EQ(client_->vm_string(vm, "IPv4Address"), address) << "the VM keeps its address";

  revive(vm);
  EXPECT_EQ(client_->vm_string(vm, "State"), "running") << client_->vm_string(vm, "LastError");
  EXPECT_TRUE(poll_until([&] { return guest_answers(address); }, 20s)) << "the guest answers again";
  EXPECT_EQ(in_guest("cat /proc/sys/kernel/random/boot_id").out, boot_before) << "the same boot, not a new one";
  EXPECT_EQ(in_guest("cat /mnt/pause/file").out, "kept\n") << "the tmpfs file";
  EXPECT_EQ(in_guest("cat /mnt/pause/pid").out, pid_before);
  EXPECT_EQ(in_guest("kill -0 $(cat /mnt/pause/pid) && echo alive").out, "alive\n") << "the same process";

  // The connection opened before carries the next line to the same process.
  std::ofstream(go).put('\n');
  EXPECT_TRUE(poll_until([&] { return fs::exists(done); }, 20s)) << "the host's end could not send afterwards";
  EXPECT_TRUE(poll_until([&] { return in_guest("cat /mnt/pause/received").out == "before\nafter\n"; }, 20s))
      << in_guest("cat /mnt/pause/received").out;
  netns_->exec("kill " + client.out + " 2>/dev/null");
  client_->vm_call(vm, "Kill");
  client_->vm_call(vm, "Delete");
}

TEST_F(GuestPause, AProcessItsTmpfsFileAndAnOpenConnectionOutlastAPause) {
  expect_the_guest_outlasts(
      "pause-guest",
      [&](const std::string& vm) {
        call(vm, "Pause");
        EXPECT_EQ(client_->vm_string(vm, "State"), "paused");
      },
      [&](const std::string& vm) { call(vm, "Resume"); });
}

TEST_F(GuestPause, TheyOutlastASuspendAndTheStartThatRestoresIt) {
  expect_the_guest_outlasts(
      "suspend-guest",
      [&](const std::string& vm) {
        call(vm, "Suspend");
        EXPECT_EQ(client_->vm_string(vm, "State"), "suspended") << client_->vm_string(vm, "LastError");
        EXPECT_EQ(vmm_pid(vm), 0) << "no VMM while suspended";
      },
      [&](const std::string& vm) { call(vm, "Start"); });
}

TEST_F(GuestPause, TheyOutlastASuspendDuringWhichBangerdIsKilled) {
  expect_the_guest_outlasts(
      "suspend-kill-guest",
      [&](const std::string& vm) {
        call(vm, "Suspend");
        EXPECT_EQ(client_->vm_string(vm, "State"), "suspended") << client_->vm_string(vm, "LastError");
        env().kill_daemon();
        env().start_daemon();
        EXPECT_EQ(client_->vm_string(vm, "State"), "suspended") << client_->vm_string(vm, "LastError");
      },
      [&](const std::string& vm) { call(vm, "Start"); });
}

// Issue 19, named checkpoints: a checkpoint of the running guest (the same QEMU runs on
// after its migration to a file: "cont" from "postmigrate"), the VM killed, then Restore:
// the guest runs on from the checkpoint with its process, tmpfs and connection.
TEST_F(GuestPause, TheyOutlastAKillUndoneByRestoringAMemoryCheckpoint) {
  std::string checkpoint;
  expect_the_guest_outlasts(
      "checkpoint-guest",
      [&](const std::string& vm) {
        const pid_t vmm = vmm_pid(vm);
        const auto began = std::chrono::steady_clock::now();
        auto taken = parse_probe(env().probe_as("", {vm, kVm, "Snapshot", "sa{sv}", "warm", "0"}));
        ASSERT_EQ(taken.error_name, "") << taken.error_message;
        checkpoint = taken.values.at(0);
        const std::string operation = taken.values.at(1);
        const auto finished =
            recorder_->wait_for([&](const Signal& s) { return s.path == operation && s.member == "Finished"; }, 60s);
        ASSERT_TRUE(finished && finished->success) << (finished ? finished->args.at(0) : "no Finished signal");
        std::cout << "checkpoint of a running 256 MiB guest (call to its object, pause to resume within): "
                  << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began)
                         .count()
                  << " ms\n";
        EXPECT_EQ(client_->vm_string(vm, "State"), "running");
        // QEMU's "cont" may fail to take its drives' locks back: bangerd then restores the
        // checkpoint just taken into a new VMM (vm_manager_snapshot.cpp). Either way the guest runs on.
        std::cout << (vmm_pid(vm) == vmm ? "the same QEMU ran on after the save\n"
                                         : "QEMU would not run on; restored from the checkpoint\n");
        EXPECT_TRUE(poll_until([&] { return guest_answers(client_->vm_string(vm, "IPv4Address")); }, 10s))
            << "and its guest answers";
        client_->vm_call(vm, "Kill");
        EXPECT_EQ(client_->vm_string(vm, "State"), "stopped");
      },
      [&](const std::string& vm) {
        const auto began = std::chrono::steady_clock::now();
        auto restored = parse_probe(env().probe_as("", {checkpoint, "dev.banger.banger1.Snapshot", "Restore"}));
        EXPECT_EQ(restored.error_name, "") << restored.error_message;
        std::cout << "restore of that checkpoint to a running guest (copies, load, SSH ready): "
                  << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began)
                         .count()
                  << " ms\n";
      });
}

}  // namespace
}  // namespace banger::test
