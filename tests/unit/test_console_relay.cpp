// banger-console-relay against a fake VMM on its pty (console_relay_fixture.h).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "console_relay_fixture.h"
#include "core/errors.h"

namespace banger::test {
namespace {

ErrorKind kind_of_attach_error(const fs::path& socket) {
  try {
    connect_console_relay(socket);
  } catch (const Error& e) {
    return e.kind();
  }
  return ErrorKind::internal;
}

TEST_F(RelayTest, GuestOutputGoesToTheLogWithoutAnyClient) {
  start_relay();
  start_vmm();
  EXPECT_NE(wait_for_text([&] { return log(); }, "guest-hello").find("guest-hello"), std::string::npos);
}

TEST_F(RelayTest, TheClientTalksToTheGuestAndTheLogKeepsBothSides) {
  start_relay();
  start_vmm();
  auto client = attach();
  send_text(client.get(), "ping\n");
  EXPECT_NE(read_until(client.get(), "guest-got:ping").find("guest-got:ping"), std::string::npos);
  EXPECT_NE(wait_for_text([&] { return log(); }, "guest-got:ping").find("guest-hello"), std::string::npos);
}

TEST_F(RelayTest, ASecondClientIsRefusedAsBusyWhileTheFirstStays) {
  start_relay();
  start_vmm();
  auto first = attach();
  EXPECT_EQ(kind_of_attach_error(dir / console_socket_name), ErrorKind::busy);
  // The first one is untouched by the refusal.
  send_text(first.get(), "still-here\n");
  EXPECT_NE(read_until(first.get(), "guest-got:still-here").find("guest-got:still-here"), std::string::npos);
}

TEST_F(RelayTest, ADetachedConsoleCanBeAttachedAgainAtOnce) {
  start_relay();
  start_vmm();
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    auto client = attach();  // right after the previous one closed: never Busy
    const std::string word = "round" + std::to_string(round);
    send_text(client.get(), word + "\n");
    EXPECT_NE(read_until(client.get(), "guest-got:" + word).find("guest-got:" + word), std::string::npos);
  }
}

TEST_F(RelayTest, AClientThatWasKilledFreesTheConsole) {
  start_relay();
  start_vmm();
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  if (child == 0) {
    try {
      auto held = connect_console_relay(dir / console_socket_name);
      (void)!write(ready[1], "x", 1);
      pause();
    } catch (...) {
    }
    _exit(1);
  }
  char byte;
  ASSERT_EQ(read(ready[0], &byte, 1), 1);
  close(ready[0]);
  close(ready[1]);
  EXPECT_EQ(kind_of_attach_error(dir / console_socket_name), ErrorKind::busy);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  auto client = attach();
  send_text(client.get(), "after-crash\n");
  EXPECT_NE(read_until(client.get(), "guest-got:after-crash").find("guest-got:after-crash"), std::string::npos);
}

TEST_F(RelayTest, ItEndsWhenTheVmmIsGoneAfterKeepingItsLastWords) {
  start_relay();
  start_vmm();
  auto client = attach();
  send_text(client.get(), "quit\n");
  ASSERT_TRUE(wait_gone(vmm, 10s));
  reap_spawned_children([](pid_t, const siginfo_t&) {});
  EXPECT_TRUE(wait_gone(relay, 10s));
  EXPECT_NE(log().find("guest-bye"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir / console_socket_name));
}

TEST_F(RelayTest, ItWaitsForTheVmmToBeRecordedAndEndsOnSigterm) {
  start_relay();
  // No handles file yet (bangerd launches the VMM after the relay): the relay must stay.
  EXPECT_FALSE(wait_gone(relay, 300ms));
  auto client = attach();
  kill(relay.pid, SIGTERM);
  EXPECT_TRUE(wait_gone(relay, 10s));
  char byte;
  EXPECT_EQ(recv(client.get(), &byte, 1, 0), 0);  // the client sees the end
}

TEST_F(RelayTest, AVmmRecordedAsAlreadyGoneEndsIt) {
  start_relay();
  auto gone = spawn_detached({"/bin/true"}, dir / "vmm.err");
  ASSERT_TRUE(wait_gone(gone, 5s));
  reap_spawned_children([](pid_t, const siginfo_t&) {});
  write_file_atomically(dir / "handles.json",
                        nlohmann::json{{"pid", gone.pid}, {"start_time", gone.start_time}}.dump());
  EXPECT_TRUE(wait_gone(relay, 10s));
}

}  // namespace
}  // namespace banger::test
