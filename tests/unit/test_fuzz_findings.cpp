// What the fuzz targets (tests/fuzz) found, kept as plain unit tests so that
// the main build catches a regression without clang or a fuzz run. Each input
// is also in its target's seed corpus.
#include <gtest/gtest.h>

#include "core/handles_file.h"
#include "core/json_numbers.h"
#include "disks/root_disk_devices.h"
#include "error_kind.h"
#include "vmm/firecracker/api_answers.h"
#include "vmm/qemu/qmp_messages.h"

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
  EXPECT_EQ(qmp_return_of({{"return", {}}}, "cont"), nlohmann::json::object());
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

}  // namespace
}  // namespace banger
