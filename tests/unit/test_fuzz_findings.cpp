// What the fuzz targets (tests/fuzz) found, kept as plain unit tests so that
// the main build catches a regression without clang or a fuzz run. Each input
// is also in its target's seed corpus.
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <limits>
#include <memory>

#include "store/handles_files.h"
#include "store/json_numbers.h"
#include "core/utf8.h"
#include "disks/root_disk_devices.h"
#include "error_kind.h"
#include "ports/guest_port_listing.h"
#include "stats/process_counters.h"
#include "vmm/firecracker/api_answers.h"
#include "vmm/qemu/qmp_messages.h"
#include "workspace/entry_rules.h"

namespace banger {
namespace {

using testing::error_message_of;

// fuzz_handles: a float, negative or too large number where a handles file
// has its pid or start time was cast to the integer (undefined behaviour).
TEST(FuzzFindings, HandlesWithANumberOutOfRangeNameNoProcess) {
  EXPECT_FALSE(vmm_process_of(R"({"pid": 1e300, "start_time": 1})"));
  EXPECT_FALSE(vmm_process_of(R"({"pid": 5, "start_time": -1.5e300})"));
  EXPECT_FALSE(vmm_process_of(R"({"pid": 4294967297, "start_time": 1})"));
  EXPECT_FALSE(vmm_process_of(R"({"pid": 5, "start_time": -1})"));
  EXPECT_FALSE(vmm_process_of(R"({"pid": 5.5, "start_time": 1})"));
  EXPECT_EQ(vmm_process_of(R"({"pid": 5, "start_time": 18446744073709551615})"),
            (VmmProcess{5, 18446744073709551615u}));
}

TEST(FuzzFindings, JsonIntegersOnlyWithinTheirType) {
  EXPECT_EQ(json_integer<int>(nlohmann::json(-7)), -7);
  EXPECT_EQ(json_integer<std::uint8_t>(nlohmann::json(255)), 255);
  EXPECT_FALSE(json_integer<std::uint8_t>(nlohmann::json(256)));
  EXPECT_FALSE(json_integer<std::uint64_t>(nlohmann::json(-1)));
  EXPECT_FALSE(json_integer<int>(nlohmann::json(1.0)));
  EXPECT_FALSE(json_integer<int>(nlohmann::json("1")));
  EXPECT_THROW(required_json_integer<int>(nlohmann::json::object(), "pid"), std::exception);
  EXPECT_THROW(required_json_integer<int>(nlohmann::json{{"pid", 1e300}}, "pid"), std::runtime_error);
}

TEST(FuzzFindings, RootDiskDevicesWithALoopNumberOutOfRangeAreUnreadable) {
  EXPECT_FALSE(disks::parse_root_disk_devices(R"({"dm":[],"loops":[{"number":1e300,"file":"x"}]})"));
  EXPECT_FALSE(disks::parse_root_disk_devices(R"({"dm":[],"loops":[{"number":4294967296,"file":"x"}]})"));
  auto devices = disks::parse_root_disk_devices(R"({"dm":["a"],"loops":[{"number":7,"file":"x"}]})");
  ASSERT_TRUE(devices);
  EXPECT_EQ(devices->loops.at(0).number, 7);
}

TEST(FuzzFindings, HandlesFileTextGivesItsHandles) {
  EXPECT_EQ(handles_in_file(R"({"backend":"qemu","handles":{"pid":1}})"), R"({"pid":1})");
  EXPECT_FALSE(handles_in_file(R"({"backend":"qemu","handles":[]})"));
  EXPECT_FALSE(handles_in_file(R"([1])"));
  EXPECT_FALSE(handles_in_file("{\"backend\":"));
}

// An "error" that is not {"desc": "…"} threw nlohmann's type_error out of the
// QMP client instead of Error(backend_failed).
TEST(FuzzFindings, QmpErrorsOfAnyShapeAreBackendFailures) {
  EXPECT_EQ(error_message_of(ErrorKind::backend_failed, [] { qmp_return_of({{"error", "gone"}}, "cont"); }),
            "qmp: cont: \"gone\"");
  EXPECT_EQ(error_message_of(ErrorKind::backend_failed, [] { qmp_return_of({{"error", {{"desc", 3}}}}, "cont"); }),
            "qmp: cont: {\"desc\":3}");
  EXPECT_EQ(error_message_of(ErrorKind::backend_failed,
                             [] { qmp_return_of({{"error", {{"class", "GenericError"}, {"desc", "no"}}}}, "cont"); }),
            "qmp: cont: no");
  EXPECT_FALSE(qmp_return_of({{"event", "STOP"}}, "cont"));
  EXPECT_EQ(qmp_return_of({{"return", nlohmann::json::object()}}, "cont"), nlohmann::json::object());
  error_message_of(ErrorKind::backend_failed, [] { qmp_status_of(nlohmann::json::array()); });
  error_message_of(ErrorKind::backend_failed, [] { qmp_status_of({{"status", 1}}); });
  EXPECT_EQ(qmp_status_of({{"status", "running"}}), "running");
}

TEST(FuzzFindings, QmpLinesAreTakenOneAtATime) {
  std::string buffer = "{\"return\": {}}\n[1]\n{\"ev";
  EXPECT_EQ(take_qmp_message(buffer), (nlohmann::json{{"return", nlohmann::json::object()}}));
  error_message_of(ErrorKind::backend_failed, [&] { take_qmp_message(buffer); });
  EXPECT_EQ(buffer, "{\"ev");
  EXPECT_FALSE(take_qmp_message(buffer));
}

// {"state": 1} made the status probe throw nlohmann's type_error, which its
// catch of Error did not stop.
TEST(FuzzFindings, FirecrackerAnswersOfAnyShape) {
  EXPECT_FALSE(firecracker_reports_paused(R"({"state": 1})"));
  EXPECT_FALSE(firecracker_reports_paused("[]"));
  EXPECT_TRUE(firecracker_reports_paused(R"({"state": "Paused"})"));
  EXPECT_EQ(firecracker_fault_message(R"({"fault_message": "bad"})"), "bad");
  EXPECT_EQ(firecracker_fault_message(R"({"fault_message": 1})"), R"({"fault_message": 1})");
  EXPECT_EQ(firecracker_fault_message(""), "no details");
}

TEST(FuzzFindings, ValidUtf8ReplacesOnlyWhatIsNotUtf8) {
  EXPECT_EQ(valid_utf8(""), "");
  EXPECT_EQ(valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7");
  EXPECT_EQ(valid_utf8("caf\xe9"), "caf\xef\xbf\xbd");                      // Latin-1
  EXPECT_EQ(valid_utf8("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");            // overlong '/'
  EXPECT_EQ(valid_utf8("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // a surrogate
  EXPECT_EQ(valid_utf8("\xf4\x90\x80\x80").size(), 12u);                     // above U+10FFFF
  EXPECT_EQ(valid_utf8("a\xe2\x82"), "a\xef\xbf\xbd\xef\xbf\xbd");            // cut short
}

// Text from a guest, a VMM or a caller's archive went into D-Bus properties
// and error replies as it came; sd-bus sends no string that is not UTF-8.
TEST(FuzzFindings, GuestProcessNamesAreUtf8) {
  const std::string text =
      "net/tcp:   0: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 500 1 "
      "0000000000000000 100 0 0 10 0\n"
      "40/comm:py\xff\xfe\n40/fd:\nlrwx------    1 root     root            64 Nov 26 15:16 3 -> socket:[500]\n"
      "banger-ports-end\n";
  EXPECT_EQ(parse_guest_port_listing(text), (std::vector<GuestPort>{{"tcp", 80, "py\xef\xbf\xbd\xef\xbf\xbd"}}));
}

TEST(FuzzFindings, VmmAndArchiveTextInErrorsIsUtf8) {
  EXPECT_EQ(firecracker_fault_message("bad \x80"), "bad \xef\xbf\xbd");
  std::string buffer = "{\x80}\n";
  EXPECT_EQ(error_message_of(ErrorKind::backend_failed, [&] { take_qmp_message(buffer); }),
            "qmp: unreadable message: {\xef\xbf\xbd}");
  // A Latin-1 name in a caller's archive, refused by the workspace rules.
  std::unique_ptr<archive_entry, void (*)(archive_entry*)> entry(archive_entry_new(), archive_entry_free);
  archive_entry_set_pathname(entry.get(), "caf\xe9/../../x");
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  EXPECT_EQ(error_message_of(ErrorKind::invalid_args, [&] { workspace::EntryRules().admit(entry.get()); }),
            "workspace entry 'caf\xef\xbf\xbd/../../x' refused: a path with '..'");
}

// An uptime beyond uint64's range (inf, 1e30) was converted to it: undefined behaviour.
TEST(FuzzFindings, ProcessUptimeOfAnyBootUptime) {
  const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  EXPECT_EQ(stats::process_uptime_s(std::numeric_limits<double>::infinity(), 0), max);
  EXPECT_EQ(stats::process_uptime_s(1e30, 0), max);
  EXPECT_EQ(stats::process_uptime_s(std::numeric_limits<double>::quiet_NaN(), 0), 0u);
  EXPECT_EQ(stats::process_uptime_s(-5, 0), 0u);
  EXPECT_EQ(stats::process_uptime_s(100.5, 0), 100u);
}

TEST(FuzzFindings, ProcessStatFieldsAfterTheLastParenthesis) {
  stats::ProcessCounters counters;
  EXPECT_TRUE(stats::parse_process_stat("7 (a) b) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 99", counters));
  EXPECT_EQ(counters.start_ticks, 99u);
  EXPECT_FALSE(stats::parse_process_stat("7 (a) S 1 2", counters));
  EXPECT_FALSE(stats::parse_process_stat("7 (a) S 1 2 3 4 5 6 7 8 9 10 x 12", counters));
}

}  // namespace
}  // namespace banger
