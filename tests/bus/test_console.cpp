// The console log through VM.ReadConsole and `bangerctl logs`, against
// bangerd-test, whose stand-in VMM writes "banger: guest ready" (and, with the
// fault console_lines=N, N numbered lines) to its stdout, the console log.
// bangerd runs with console_log_max_bytes = 8192 (tests/bus/data/bangerd-console.toml).
#include <sys/stat.h>

#include <future>
#include <string>
#include <thread>
#include <vector>

#include "test_support.h"

namespace banger::test {
namespace {

namespace err = banger::bus::error;
constexpr std::uint64_t kCap = 8192;
const std::string kReady = "banger: guest ready";

struct Chunk {
  std::string data;
  std::uint64_t next_offset = 0;
};

class Console : public ClientTest {
 protected:
  void SetUp() override {
    ClientTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    env().set_faults({});
  }
  void TearDown() override {
    env().set_faults({});
    ClientTest::TearDown();
  }

  Chunk read(const std::string& vm, std::uint64_t offset, std::uint32_t max_bytes = 1024 * 1024) {
    auto [data, next] = client_->read_console(vm, offset, max_bytes);
    return {data, next};
  }

  // Everything kept, read in pieces of `piece` bytes; first = the offset of its first byte.
  std::string read_all(const std::string& vm, std::uint64_t* first = nullptr, std::uint32_t piece = 3000) {
    std::string all;
    for (std::uint64_t offset = 0;;) {
      auto chunk = read(vm, offset, piece);
      if (chunk.data.empty()) return all;
      if (first && all.empty()) *first = chunk.next_offset - chunk.data.size();
      all += chunk.data;
      offset = chunk.next_offset;
    }
  }

  // Polls until `done` holds for the kept log (the stand-in writes asynchronously).
  template <typename Pred>
  std::string wait_log(const std::string& vm, Pred done, std::chrono::milliseconds timeout = 15s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string log;
    while (!done(log = read_all(vm)) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(50ms);
    return log;
  }

  std::string start_ready(const std::string& name) {
    const std::string vm = client_->create_ready(*recorder_, name);
    client_->vm_call(vm, "Start");
    EXPECT_TRUE(client_->wait_state(*recorder_, vm, "running")) << client_->vm_string(vm, "LastError");
    return vm;
  }

  RunResult ctl(const std::vector<std::string>& args, const std::string& user = "") {
    std::vector<std::string> argv{env().bangerctl(), "--no-progress", "--no-ask-password"};
    argv.insert(argv.end(), args.begin(), args.end());
    return env().run_as(user, argv, 60s);
  }

  std::filesystem::path log_file(const std::string& vm) {
    return env().dir() / "run" / "vms" / client_->vm_string(vm, "Id") / "console.log";
  }
};

bool has_ready(const std::string& log) { return log.find(kReady) != std::string::npos; }

TEST_F(Console, ReadFollowsTheLogWhichOutlivesStopUntilTheNextStart) {
  const std::string vm = client_->create_ready(*recorder_, "console-vm");
  auto never_started = read(vm, 0);
  EXPECT_EQ(never_started.data, "");
  EXPECT_EQ(never_started.next_offset, 0u);

  client_->vm_call(vm, "Start");
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "running")) << client_->vm_string(vm, "LastError");
  const std::string log = wait_log(vm, has_ready);
  ASSERT_TRUE(has_ready(log)) << log;

  auto whole = read(vm, 0);
  EXPECT_EQ(whole.data, log);
  EXPECT_EQ(whole.next_offset, log.size());
  auto piece = read(vm, 5, 4);
  EXPECT_EQ(piece.data, log.substr(5, 4));
  EXPECT_EQ(piece.next_offset, 9u);
  auto nothing_new = read(vm, whole.next_offset);
  EXPECT_EQ(nothing_new.data, "");
  EXPECT_EQ(nothing_new.next_offset, whole.next_offset);

  client_->stop(vm);
  ASSERT_EQ(client_->vm_string(vm, "State"), "stopped");
  EXPECT_EQ(read(vm, 0).data, log) << "the log is the post-mortem of a stopped VM";

  // A new run starts a new log: an old offset past its end reads it from the start.
  env().set_faults({"console_lines=3"});
  client_->vm_call(vm, "Start");
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "running"));
  const std::string second =
      wait_log(vm, [](const std::string& l) { return l.find("console line 3\n") != std::string::npos; });
  EXPECT_EQ(second, log + "console line 1\nconsole line 2\nconsole line 3\n");
  EXPECT_EQ(read(vm, 1'000'000).data, second);

  client_->vm_call(vm, "Kill");
  const auto run_dir = log_file(vm).parent_path();
  EXPECT_TRUE(std::filesystem::exists(run_dir / "console.log"));
  client_->vm_call(vm, "Delete");
  EXPECT_FALSE(std::filesystem::exists(run_dir)) << "nothing left of the deleted VM";
}

TEST_F(Console, LogIsCappedWhileTheVmRuns) {
  env().set_faults({"console_lines=30000"});  // ~560 KiB of output
  const std::string vm = start_ready("console-chatty");
  const std::string last = "console line 30000\n";
  std::uint64_t first = 0;
  std::string kept;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  do {
    std::this_thread::sleep_for(100ms);
    kept = read_all(vm, &first);
  } while ((!kept.ends_with(last) || kept.size() > kCap + 8192) && std::chrono::steady_clock::now() < deadline);

  ASSERT_TRUE(kept.ends_with(last)) << kept.substr(kept.size() > 200 ? kept.size() - 200 : 0);
  EXPECT_GE(kept.size(), kCap) << "at least the configured cap is kept";
  EXPECT_LE(kept.size(), kCap + 8192) << "the older output was freed";
  EXPECT_GT(first, 500'000u) << "offsets count every byte ever written";
  EXPECT_EQ(first + kept.size(), std::filesystem::file_size(log_file(vm)));
  struct stat st {};
  ASSERT_EQ(stat(log_file(vm).c_str(), &st), 0);
  EXPECT_LE(static_cast<std::uint64_t>(st.st_blocks) * 512, kCap + 8192) << "disk use is capped too";
  // What is kept is exactly the end of what the VMM wrote.
  std::string written;
  for (int i = 1; i <= 30000; ++i) written += "console line " + std::to_string(i) + "\n";
  EXPECT_TRUE(written.ends_with(kept.substr(kept.find('\n') + 1)));
  // Reading from a freed offset starts at the oldest kept byte.
  EXPECT_EQ(read(vm, 100, 50).data, kept.substr(0, 50));

  client_->vm_call(vm, "Kill");
  client_->vm_call(vm, "Delete");
}

TEST_F(Console, BadSizesAreInvalidArgs) {
  const std::string vm = client_->create_ready(*recorder_, "console-args");
  for (std::uint32_t bad : {0u, 1024u * 1024u + 1u, 0xffffffffu}) {
    auto e = error_of([&] { read(vm, 0, bad); });
    ASSERT_TRUE(e) << bad << " was accepted";
    EXPECT_EQ(e->getName(), err::invalid_args) << bad << ": " << e->getMessage();
  }
  EXPECT_FALSE(error_of([&] { read(vm, 0xffffffffffffffffull, 1); })) << "any offset is fine";
  auto usage = ctl({"logs", "console-args", "--bytes", "0"});
  EXPECT_EQ(usage.exit_code, 2) << usage.describe();
  auto missing = ctl({"logs", "no-such-vm"});
  EXPECT_EQ(missing.exit_code, 3) << missing.describe();
  client_->vm_call(vm, "Delete");
}

TEST_F(Console, OnlyTheOwnerAndOperatorsMayRead) {
  auto created = ctl({"create", "alice-console", "--start"}, "banger-alice");
  ASSERT_TRUE(created.ok()) << created.describe();
  const std::string vm = client_->get_vm("alice-console");
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "running")) << client_->vm_string(vm, "LastError");
  ASSERT_TRUE(has_ready(wait_log(vm, has_ready)));

  auto own = ctl({"logs", "alice-console"}, "banger-alice");
  ASSERT_TRUE(own.ok()) << own.describe();
  EXPECT_TRUE(has_ready(own.out)) << own.out;
  auto op = ctl({"logs", "alice-console"}, "banger-op");
  EXPECT_TRUE(op.ok() && has_ready(op.out)) << op.describe();

  for (const std::string user : {"banger-bob", "banger-eve"}) {
    SCOPED_TRACE(user);
    auto quiet = parse_probe(env().probe_as(user, {"--no-interactive", vm, kVm, "ReadConsole", "tu", "0", "4096"}));
    EXPECT_EQ(quiet.error_name, kDeniedWithoutInteraction) << quiet.error_message;
    auto asked = parse_probe(env().probe_as(user, {vm, kVm, "ReadConsole", "tu", "0", "4096"}));
    EXPECT_TRUE(asked.error_name == err::access_denied || asked.error_name == err::interactive_authorization_required)
        << asked.error_name << ": " << asked.error_message;
    auto denied = ctl({"logs", "alice-console"}, user);
    EXPECT_EQ(denied.exit_code, 4) << denied.describe();
    EXPECT_EQ(denied.out, "") << "nothing of the console leaks";
  }
  client_->vm_call(vm, "Kill");
  client_->vm_call(vm, "Delete");
}

TEST_F(Console, BangerctlPrintsTailsAndFollowsUntilTheVmStops) {
  env().set_faults({"console_lines=5"});
  const std::string vm = start_ready("ctl-console");
  const std::string log =
      wait_log(vm, [](const std::string& l) { return l.find("console line 5\n") != std::string::npos; });

  auto all = ctl({"logs", "ctl-console"});
  ASSERT_TRUE(all.ok()) << all.describe();
  EXPECT_EQ(all.out, log);
  auto tail = ctl({"logs", "ctl-console", "--bytes", "15"});
  ASSERT_TRUE(tail.ok()) << tail.describe();
  EXPECT_EQ(tail.out, "console line 5\n");
  auto json = ctl({"logs", "ctl-console", "--json"});
  ASSERT_TRUE(json.ok()) << json.describe();
  auto first_line = nlohmann::json::parse(json.out.substr(0, json.out.find('\n')), nullptr, false);
  EXPECT_EQ(first_line.value("data", ""), log) << json.out;
  EXPECT_EQ(first_line.value("next_offset", 0u), log.size()) << json.out;

  // --follow prints what is there, then waits; it ends by itself once the VM stopped.
  auto follow = std::async(std::launch::async, [&] { return ctl({"logs", "-f", "ctl-console"}); });
  EXPECT_EQ(follow.wait_for(1500ms), std::future_status::timeout) << "follow returned while the VM runs";
  client_->stop(vm);
  ASSERT_EQ(follow.wait_for(20s), std::future_status::ready) << "follow did not end after the VM stopped";
  auto followed = follow.get();
  EXPECT_TRUE(followed.ok()) << followed.describe();
  EXPECT_EQ(followed.out, log);
  client_->vm_call(vm, "Delete");
}

}  // namespace
}  // namespace banger::test
