// bangerd's log records: where they go (journal or stderr) and the stderr form
// of a record with fields, including the operation log of a bus call.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "banger/object_path.h"
#include "bus/operation_log.h"
#include "core/log.h"

namespace banger {
namespace {

namespace fs = std::filesystem;

TEST(LogSink, JournalOnlyWhenJournalStreamIsStderr) {
  const auto file = fs::temp_directory_path() / fmt::format("banger-log-{}", getpid());
  const int fd = open(file.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  struct stat st {};
  ASSERT_EQ(fstat(fd, &st), 0);
  const auto same = fmt::format("{}:{}", st.st_dev, st.st_ino);
  const auto other = fmt::format("{}:{}", st.st_dev, st.st_ino + 1);
  EXPECT_EQ(log::sink_for(same.c_str(), fd), log::Sink::journal);
  EXPECT_EQ(log::sink_for(other.c_str(), fd), log::Sink::stderr_lines) << "stderr redirected elsewhere";
  EXPECT_EQ(log::sink_for(nullptr, fd), log::Sink::stderr_lines);
  EXPECT_EQ(log::sink_for("garbage", fd), log::Sink::stderr_lines);
  close(fd);
  fs::remove(file);
}

TEST(LogLine, PriorityMessageAndFields) {
  EXPECT_EQ(log::stderr_line(6, "ready", {}), "<6>ready");
  EXPECT_EQ(log::stderr_line(4, "vm.start demo", {{"BANGER_VM", "demo"}, {"BANGER_RESULT", "ok"}}),
            "<4>vm.start demo BANGER_VM=demo BANGER_RESULT=ok");
  EXPECT_EQ(log::stderr_line(3, "a\nb", {{"BANGER_ERROR", "no \"such\" vm"}, {"BANGER_EMPTY", ""}}),
            "<3>a b BANGER_ERROR=\"no \\\"such\\\" vm\" BANGER_EMPTY=\"\"");
}

std::string field(const log::Fields& fields, const std::string& name) {
  for (const auto& [n, v] : fields)
    if (n == name) return v;
  return "<missing>";
}

TEST(OperationLog, NamesTheOperationItsSubjectAndTheCaller) {
  OperationLog call({":1.7", 1000, false}, {{"vm", "demo"}, {"vm_id", "abc123"}, {"verb", "start"}});
  EXPECT_EQ(call.operation(), "vm.start");
  const auto fields = call.fields("ok", std::chrono::milliseconds(42));
  EXPECT_EQ(field(fields, "BANGER_OPERATION"), "vm.start");
  EXPECT_EQ(field(fields, "BANGER_VM"), "demo");
  EXPECT_EQ(field(fields, "BANGER_VM_ID"), "abc123");
  EXPECT_EQ(field(fields, "BANGER_UID"), "1000");
  EXPECT_EQ(field(fields, "BANGER_DURATION_MS"), "42");
  EXPECT_EQ(field(fields, "BANGER_RESULT"), "ok");
  EXPECT_EQ(field(fields, "BANGER_VERB"), "<missing>") << "the verb is in the operation";

  EXPECT_EQ(OperationLog({}, {{"image", "default"}, {"verb", "set-default"}}).operation(), "image.set-default");
  EXPECT_EQ(OperationLog({}, {{"network", "lab"}, {"verb", "create"}}).operation(), "network.create");
}

TEST(OperationLog, LearnsACreatedVmsIdFromItsPath) {
  OperationLog call({":1.7", 0, false}, {{"vm", "new"}, {"verb", "create"}});
  call.set_target(bus::vm_path("0123456789abcdef"));
  EXPECT_EQ(field(call.fields("ok", {}), "BANGER_VM_ID"), "0123456789abcdef");
}

// What `call.finished(result)` writes to stderr.
std::string finished_output(const OperationLog& call, const std::string& result) {
  const auto file = fs::temp_directory_path() / fmt::format("banger-oplog-{}", getpid());
  std::fflush(stderr);
  const int saved = dup(STDERR_FILENO);
  const int fd = open(file.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return "cannot open " + file.string();
  dup2(fd, STDERR_FILENO);
  call.finished(result);
  std::fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(fd);
  std::stringstream text;
  text << std::ifstream(file).rdbuf();
  fs::remove(file);
  return text.str();
}

TEST(OperationLog, ReadsLeaveNoRecord) {
  EXPECT_EQ(finished_output(OperationLog({}, {{"vm", "web"}, {"verb", "readconsole"}}), "ok"), "");
}

TEST(OperationLog, FinishedWritesOneRecordWithItsFieldsToStderr) {
  ASSERT_EQ(std::getenv("JOURNAL_STREAM"), nullptr) << "the test expects stderr lines";
  const auto line = finished_output(
      OperationLog({":1.9", 0, false}, {{"vm", "web"}, {"vm_id", "feed"}, {"verb", "stop"}}),
      "dev.banger.banger1.Error.InvalidState");
  EXPECT_EQ(line.rfind("<4>vm.stop web by uid 0: dev.banger.banger1.Error.InvalidState in ", 0), 0u) << line;
  for (const char* expected : {" BANGER_OPERATION=vm.stop", " BANGER_VM=web", " BANGER_VM_ID=feed", " BANGER_UID=0",
                               " BANGER_DURATION_MS=", " BANGER_RESULT=dev.banger.banger1.Error.InvalidState\n"})
    EXPECT_NE(line.find(expected), std::string::npos) << expected << " in " << line;
}

}  // namespace
}  // namespace banger
