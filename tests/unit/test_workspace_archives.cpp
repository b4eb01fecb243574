// Workspace streams: every entry checked and rewritten on the way through
// (workspace/archives.h, entry_rules.h), the options, and the transfer claims.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <vector>

#include "error_kind.h"
#include "tar_fixtures.h"
#include "workspace/archives.h"
#include "workspace/client_stream.h"
#include "workspace/workspaces.h"

namespace banger {
namespace {

using testing::entries_of;
using testing::error_message_of;
using testing::kind_of;
using testing::TarEntry;
using testing::tar_of;

// The stream as the copy writes it out, or the copy's error.
std::string copied(const std::string& tar) {
  auto in_fd = testing::fd_reading(tar);
  auto out_fd = testing::empty_memfd();
  {
    auto in = workspace::tar_reader(in_fd.get());
    auto out = workspace::tar_writer(out_fd.get());
    workspace::copy_entries(in.get(), out.get());
  }
  return testing::contents_of(out_fd.get());
}

std::string refusal(const std::vector<TarEntry>& entries) {
  return error_message_of(ErrorKind::invalid_args, [&] { copied(tar_of(entries)); });
}

TEST(WorkspaceArchives, AValidTreeIsCopiedWithRootOwnerAndPlainPermissions) {
  const auto out = entries_of(copied(tar_of({
      testing::dir("./", 0755),
      testing::dir("./src/", 02775),
      testing::file("./src//main.c", "int main() {}\n", 04755),
      testing::symlink("src/lib/link", "../main.c"),
      testing::hardlink("src/same", "./src/main.c"),
      testing::file("README", "hello"),
  })));
  ASSERT_EQ(out.size(), 5u);  // the root entry carries nothing
  EXPECT_EQ(out.at("src/main.c").content, "int main() {}\n");
  EXPECT_EQ(out.at("src/main.c").perm, 0755u);
  EXPECT_EQ(out.at("src/main.c").uid, 0);
  EXPECT_EQ(out.at("src/").perm, 0775u);  // tar writers mark directories with a slash
  EXPECT_EQ(out.at("src/lib/link").type, static_cast<mode_t>(AE_IFLNK));
  EXPECT_EQ(out.at("src/lib/link").content, "../main.c");
  EXPECT_EQ(out.at("src/same").hardlink, "src/main.c");
  EXPECT_EQ(out.at("README").content, "hello");
}

TEST(WorkspaceArchives, ProgressCountsThePayload) {
  auto in_fd = testing::fd_reading(tar_of({testing::file("a", std::string(300000, 'x'))}));
  auto out_fd = testing::empty_memfd();
  std::uint64_t last = 0;
  auto in = workspace::tar_reader(in_fd.get());
  auto out = workspace::tar_writer(out_fd.get());
  workspace::copy_entries(in.get(), out.get(),
                          {.progress = [&](std::uint64_t bytes) { last = bytes; }, .keep = {}});
  EXPECT_EQ(last, 300000u);
}

TEST(WorkspaceArchives, EachEscapeIsRefusedNamingTheEntry) {
  struct Case {
    std::vector<TarEntry> entries;
    std::string entry;
    std::string why;
  };
  const std::vector<Case> cases = {
      {{testing::file("/etc/passwd", "x")}, "'/etc/passwd'", "absolute"},
      {{testing::file("../outside", "x")}, "'../outside'", ".."},
      {{testing::file("a/../../outside", "x")}, "'a/../../outside'", ".."},
      {{testing::special("dev/null", AE_IFCHR)}, "'dev/null'", "character device"},
      {{testing::special("disk", AE_IFBLK)}, "'disk'", "block device"},
      {{testing::special("pipe", AE_IFIFO)}, "'pipe'", "fifo"},
      {{testing::symlink("etc", "/etc")}, "'etc'", "absolute path '/etc'"},
      {{testing::symlink("a/up", "../../x")}, "'a/up'", "leaves the tree"},
      {{testing::symlink("a/b", "c/../../..")}, "'a/b'", "after descending"},
      {{testing::hardlink("stolen", "../../etc/shadow")}, "'stolen'", ".."},
      {{testing::hardlink("stolen", "/etc/shadow")}, "'stolen'", "absolute"},
      {{testing::symlink("here", "."), testing::file("here/x", "x")},
       "'here/x'", "below the symlink 'here'"},
      {{testing::file("d/f", "x"), testing::symlink("d", ".")},
       "'d'", "in place of a directory"},
  };
  for (const auto& c : cases) {
    const auto message = refusal(c.entries);
    EXPECT_NE(message.find(c.entry), std::string::npos) << message;
    EXPECT_NE(message.find(c.why), std::string::npos) << message;
  }
}

TEST(WorkspaceArchives, NotATarIsRefused) {
  const auto garbage = error_message_of(ErrorKind::invalid_args, [] { copied(std::string(4096, 'z')); });
  EXPECT_NE(garbage.find("not a tar archive"), std::string::npos) << garbage;
  const auto empty = error_message_of(ErrorKind::invalid_args, [] { copied(""); });
  EXPECT_NE(empty.find("not a tar archive"), std::string::npos) << empty;
  // A gzip stream is a valid archive for libarchive, but not what the contract takes.
  const std::string gzip_magic("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
  EXPECT_EQ(kind_of([&] { copied(gzip_magic + std::string(600, '\0')); }), ErrorKind::invalid_args);
}

TEST(WorkspaceArchives, ATruncatedStreamIsDamaged) {
  auto tar = tar_of({testing::file("big", std::string(100000, 'y'))});
  tar.resize(50000);
  const auto message = error_message_of(ErrorKind::invalid_args, [&] { copied(tar); });
  EXPECT_NE(message.find("damaged"), std::string::npos) << message;
}

TEST(WorkspaceArchives, ACallbackFailureKeepsItsOwnError) {
  auto in_fd = testing::fd_reading(tar_of({testing::file("a", "x")}));
  auto in = workspace::tar_reader(in_fd.get());
  auto out = workspace::tar_writer(
      [](std::span<const char>) { throw Error(ErrorKind::resource_exhausted, "the test's disk is full"); });
  EXPECT_EQ(error_message_of(ErrorKind::resource_exhausted, [&] { workspace::copy_entries(in.get(), out.get()); }),
            "the test's disk is full");
}

TEST(WorkspaceOptions, TargetsAreNormalisedRelativePaths) {
  EXPECT_EQ(parse_push_options({{"target", std::string("./proj//src/")}}).target, "proj/src");
  EXPECT_EQ(parse_push_options({}).target, "");
  const auto push = parse_push_options({{"target", std::string("p")}, {"replace", true}, {"size", std::uint64_t{7}}});
  EXPECT_TRUE(push.replace);
  EXPECT_EQ(push.size, 7u);
  EXPECT_EQ(parse_pull_options({{"source", std::string("a/b")}}).source, "a/b");
}

TEST(WorkspaceOptions, BadOptionsAreRefused) {
  for (const OptionMap& bad : std::vector<OptionMap>{
           {{"target", std::string("/etc")}},
           {{"target", std::string("a/../../b")}},
           {{"target", std::string(".banger-incoming-1234")}},
           {{"target", std::uint32_t{3}}},
           {{"replace", true}},  // would empty all of /work
           {{"colour", std::string("red")}},
       })
    EXPECT_EQ(kind_of([&] { parse_push_options(bad); }), ErrorKind::invalid_args);
  EXPECT_EQ(kind_of([] { parse_pull_options({{"source", std::string("../x")}}); }), ErrorKind::invalid_args);
  EXPECT_EQ(kind_of([] { parse_pull_options({{"target", std::string("x")}}); }), ErrorKind::invalid_args);
}

TEST(WorkspaceLocks, AClaimRefusesOthersUntilReleased) {
  WorkspaceLocks locks;
  {
    auto claim = locks.claim("id1", "web");
    EXPECT_EQ(kind_of([&] { locks.claim("id1", "web"); }), ErrorKind::busy);
    EXPECT_EQ(kind_of([&] { locks.refuse_if_claimed("id1", "web"); }), ErrorKind::busy);
    locks.refuse_if_claimed("id2", "db");  // another VM is free
    auto moved = std::move(claim);
    EXPECT_EQ(kind_of([&] { locks.refuse_if_claimed("id1", "web"); }), ErrorKind::busy);
  }
  locks.refuse_if_claimed("id1", "web");
  auto again = locks.claim("id1", "web");
}

}  // namespace
}  // namespace banger

namespace banger {
namespace {

// The caller holds the other end of a transfer's descriptor: a client that
// stops must not hold the transfer (its thread, the VM's workspace lock) for good.
TEST(ClientStream, ACallerThatSendsNothingIsGivenUpAfterTheIdleTime) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  auto source = workspace::idle_limited_source(p[0], std::chrono::milliseconds(200));
  char buffer[16];
  const auto began = std::chrono::steady_clock::now();
  EXPECT_NE(testing::error_message_of(ErrorKind::invalid_args, [&] { source(buffer); }).find("sent nothing"),
            std::string::npos);
  EXPECT_GE(std::chrono::steady_clock::now() - began, std::chrono::milliseconds(200));
  ASSERT_EQ(write(p[1], "tar", 3), 3);
  EXPECT_EQ(source(buffer), 3u) << "a caller that sends is read as ever";
  close(p[1]);
  EXPECT_EQ(source(buffer), 0u);
  close(p[0]);
}

TEST(ClientStream, ACallerThatReadsNothingIsGivenUpAfterTheIdleTime) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  auto sink = workspace::idle_limited_sink(p[1], std::chrono::milliseconds(200));
  const std::vector<char> block(1 << 20, 'x');  // more than a pipe holds
  EXPECT_NE(testing::error_message_of(ErrorKind::invalid_args, [&] { sink(block); }).find("took nothing"),
            std::string::npos);
  close(p[0]);
  close(p[1]);
}

}  // namespace
}  // namespace banger
