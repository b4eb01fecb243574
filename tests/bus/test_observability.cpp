// bangerctl events (alias watch) following a VM's life on bangerd-test, in
// JSON and as human lines, and the daemon's operation log of the same calls.
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test_support.h"

namespace banger::test {
namespace {

std::string read_text(const std::filesystem::path& file) {
  std::stringstream text;
  text << std::ifstream(file).rdbuf();
  return text.str();
}

// Polls `file` until it holds `text`; false after `timeout`.
bool file_says(const std::filesystem::path& file, const std::string& text, std::chrono::milliseconds timeout = 15s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (read_text(file).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class Observability : public ClientTest {
 protected:
  // bangerctl events with `args`, its output in a file of the test's own; returns once it is subscribed.
  std::filesystem::path follow(Service& events, const std::string& log_name, const std::vector<std::string>& args) {
    const auto log = env().dir() / log_name;
    std::vector<std::string> argv{env().bangerctl()};
    argv.insert(argv.end(), args.begin(), args.end());
    events.start(argv, {{"DBUS_SYSTEM_BUS_ADDRESS", env().address()}}, log);
    EXPECT_TRUE(file_says(log, "following bangerd's events")) << read_text(log);
    return log;
  }

  // create → start → stop → delete, waiting for each state.
  void live_and_die(const std::string& name) {
    const auto vm = client_->create_ready(*recorder_, name);
    client_->vm_call(vm, "Start");
    ASSERT_TRUE(client_->wait_state(*recorder_, vm, "running"));
    client_->stop(vm);
    ASSERT_TRUE(client_->wait_state(*recorder_, vm, "stopped"));
    client_->vm_call(vm, "Delete");
  }
};

TEST_F(Observability, EventsAsJsonLines) {
  Service events;
  const auto log = follow(events, "events-json.log", {"events", "--json"});
  live_and_die("ev-json");
  ASSERT_TRUE(file_says(log, "\"removed\"")) << read_text(log);
  events.stop();
  EXPECT_EQ(events.exit_status(), 0) << "SIGTERM ends the verb cleanly";

  std::vector<nlohmann::json> vm_events;
  for (const auto& line : lines_of(read_text(log))) {
    if (line.empty() || line[0] != '{') continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << line;
    for (const char* key : {"time", "type", "path", "interface", "kind", "name", "changes"})
      EXPECT_TRUE(j.contains(key)) << key << " missing in " << line;
    if (j.value("kind", "") == "vm" && j.value("name", "") == "ev-json") vm_events.push_back(j);
  }
  ASSERT_FALSE(vm_events.empty()) << read_text(log);
  EXPECT_EQ(vm_events.front()["type"], "added") << vm_events.front();
  EXPECT_EQ(vm_events.back()["type"], "removed") << vm_events.back();
  std::vector<std::string> states;
  bool saw_properties = false;
  for (const auto& e : vm_events) {
    if (e["type"] == "state") states.push_back(e["changes"].value("new_state", ""));
    saw_properties = saw_properties || e["type"] == "properties";
  }
  EXPECT_EQ(states, (std::vector<std::string>{"created", "starting", "running", "stopping", "stopped"}));
  EXPECT_TRUE(saw_properties);
}

TEST_F(Observability, EventsAsHumanLinesAliasWatch) {
  Service events;
  const auto log = follow(events, "events-plain.log", {"watch"});
  live_and_die("ev-plain");
  ASSERT_TRUE(file_says(log, "vm ev-plain: removed")) << read_text(log);
  events.stop();
  const auto text = read_text(log);
  EXPECT_NE(text.find("vm ev-plain: added"), std::string::npos) << text;
  EXPECT_NE(text.find("vm ev-plain: state starting \u2192 running"), std::string::npos) << text;
  EXPECT_NE(text.find("vm ev-plain: state running \u2192 stopping"), std::string::npos) << text;
}

TEST_F(Observability, EventsOfOneVm) {
  client_->create_ready(*recorder_, "ev-other");
  Service events;
  const auto log = follow(events, "events-one.log", {"events", "--vm", "ev-other"});
  live_and_die("ev-ignored");
  const auto vm = client_->get_vm("ev-other");
  client_->vm_call(vm, "Delete");
  ASSERT_TRUE(file_says(log, "vm ev-other: removed")) << read_text(log);
  events.stop();
  EXPECT_EQ(read_text(log).find("ev-ignored"), std::string::npos) << read_text(log);
}

TEST_F(Observability, OperationLogOfAStart) {
  const auto vm = client_->create_ready(*recorder_, "oplog-vm");
  const auto id = client_->vm_string(vm, "Id");
  client_->vm_call(vm, "Start");
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "running"));
  const auto daemon_log = env().dir() / "bangerd.log";
  ASSERT_TRUE(file_says(daemon_log, "BANGER_OPERATION=vm.start BANGER_VM=oplog-vm")) << read_text(daemon_log);
  std::string line;
  for (const auto& l : lines_of(read_text(daemon_log)))
    if (l.find("BANGER_OPERATION=vm.start BANGER_VM=oplog-vm") != std::string::npos) line = l;
  EXPECT_NE(line.find("BANGER_VM_ID=" + id), std::string::npos) << line;
  EXPECT_NE(line.find("BANGER_UID=0"), std::string::npos) << line;
  EXPECT_NE(line.find("BANGER_DURATION_MS="), std::string::npos) << line;
  EXPECT_NE(line.find("BANGER_RESULT=ok"), std::string::npos) << line;

  // A refused call is logged with its error name.
  EXPECT_TRUE(error_of([&] { client_->vm_call(vm, "Delete"); }));
  EXPECT_TRUE(file_says(daemon_log, "vm.delete oplog-vm by uid 0: dev.banger.banger1.Error.InvalidState"))
      << read_text(daemon_log);
  client_->vm_call(vm, "Kill");
}

}  // namespace
}  // namespace banger::test
