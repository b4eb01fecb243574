// Root disks on a real guest: the real bangerd (QEMU backend, the default
// image) in a network namespace of this suite's own, as in
// bus-guest-network. A VM made with a disk bigger than its image sees that
// size in `df /`, and again after Set grew it while stopped; sizes below the
// image, above the free space, and shrinks are refused with clear errors and
// leave nothing behind.
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "bangerd_netns.h"
#include "default_image.h"
#include "test_support.h"

namespace banger::test {
namespace {

namespace fs = std::filesystem;

class GuestDisks : public ClientTest {
 protected:
  static void SetUpTestSuite() {
    netns_ = bangerd_netns({.programs = {"nft"}, .devices = {"/dev/net/tun"}}, netns_skip_);
    if (!netns_) return;
    netns_->ip("link set lo up");
    ClientTest::SetUpTestSuite();
  }
  static void TearDownTestSuite() {
    ClientTest::TearDownTestSuite();  // kills the VMs and stops bangerd before their namespace goes
    netns_.reset();
  }
  void SetUp() override {
    if (!netns_skip_.empty()) GTEST_SKIP() << netns_skip_;
    if (run_command("command -v ssh >/dev/null").status != 0) GTEST_SKIP() << "ssh is not installed (openssh-client)";
    ClientTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    connection_ = sdbus::createSessionBusConnectionWithAddress(env().address());
    if (!imported_) {
      auto image = build_and_import_default_image(env());
      ASSERT_TRUE(image.ok()) << "the default image could not be built or imported:\n" << image.describe();
      imported_ = true;
    }
  }

  fs::path state() { return env().dir() / "state"; }

  // The default image's rootfs size in MiB, rounded up as bangerd rounds it.
  std::uint64_t image_mib() {
    for (const auto& entry : fs::recursive_directory_iterator(state() / "images"))
      if (entry.path().filename() == "rootfs.ext4") return (fs::file_size(entry.path()) + (1 << 20) - 1) >> 20;
    ADD_FAILURE() << "no imported rootfs under " << (state() / "images");
    return 0;
  }

  // Start, Stop: with room for a slow TCG guest.
  void call(const std::string& path, const std::string& method) {
    auto proxy = sdbus::createProxy(*connection_, kService, path);
    auto message = proxy->createMethodCall(kVm, method);
    if (method == "Stop") message << false;  // graceful
    proxy->callMethod(message, std::chrono::seconds(180));
  }

  // `df -m /` in the running guest: the root filesystem's size in MiB, over
  // SSH with the daemon's key (Start returns once the guest's SSH takes it).
  std::uint64_t guest_root_mib(const std::string& path) {
    const std::string address = client_->vm_string(path, "IPv4Address");
    const std::string ssh = "ssh -i " + (state() / "ssh" / "id_ed25519").string() +
                            " -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes"
                            " -o ConnectTimeout=5 -o LogLevel=ERROR root@" + address;
    const auto df = netns_->exec(ssh + " 'df -m /' 2>&1");
    EXPECT_EQ(df.status, 0) << df.out;
    // Filesystem 1M-blocks Used Available Use% Mounted on / <device> <size> …
    std::istringstream lines(df.out);
    std::string header, device;
    std::uint64_t size = 0;
    std::getline(lines, header);
    lines >> device >> size;
    EXPECT_GT(size, 0u) << df.out;
    return size;
  }

  bool vm_exists(const std::string& name) {
    for (const auto& row : client_->list_vms())
      if (row.get<1>() == name) return true;
    return false;
  }

  static inline std::unique_ptr<ScopedNetns> netns_;
  static inline std::string netns_skip_;
  static inline bool imported_ = false;
  std::unique_ptr<sdbus::IConnection> connection_;
};

TEST_F(GuestDisks, TheGuestSeesItsDiskGrowAtCreateAndWithSet) {
  const auto image = image_mib();
  ASSERT_GT(image, 0u);
  const std::uint64_t disk = image + 256;
  const auto vm = client_->create_ready(*recorder_, "disk-grow",
                                        {{"memory", sdbus::Variant(256u)}, {"disk", sdbus::Variant(static_cast<std::uint32_t>(disk))}});
  EXPECT_EQ(client_->vm_number(vm, "DiskMiB"), disk);
  const auto strategy = client_->vm_string(vm, "RootDiskStrategy");
  EXPECT_TRUE(strategy == "reflink" || strategy == "copy" || strategy == "dm-snapshot") << strategy;
  call(vm, "Start");
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "running", 60s)) << client_->vm_string(vm, "LastError");
  const auto before = guest_root_mib(vm);
  // ext4 keeps a few per cent for its own tables and journal.
  EXPECT_GT(before, disk * 85 / 100) << "the image is " << image << " MiB";
  EXPECT_LE(before, disk);

  call(vm, "Stop");
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "stopped", 60s));
  client_->set(vm, {{"disk", sdbus::Variant(static_cast<std::uint32_t>(disk + 512))}});
  EXPECT_EQ(client_->vm_number(vm, "DiskMiB"), disk + 512);
  call(vm, "Start");
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "running", 60s)) << client_->vm_string(vm, "LastError");
  const auto after = guest_root_mib(vm);
  EXPECT_GT(after, before + 512 * 85 / 100) << before << " MiB before";
  EXPECT_LE(after, disk + 512);

  call(vm, "Stop");
  ASSERT_TRUE(client_->wait_state(*recorder_, vm, "stopped", 60s));
  auto shrink = error_of([&] { client_->set(vm, {{"disk", sdbus::Variant(static_cast<std::uint32_t>(disk))}}); });
  ASSERT_TRUE(shrink);
  EXPECT_EQ(shrink->getName(), "org.freedesktop.DBus.Error.InvalidArgs");
  EXPECT_NE(shrink->getMessage().find("disks only grow"), std::string::npos) << shrink->getMessage();
  EXPECT_EQ(client_->vm_number(vm, "DiskMiB"), disk + 512) << "a refused Set changes nothing";
  client_->vm_call(vm, "Delete");
  EXPECT_FALSE(fs::exists(state() / "vms" / vm.substr(vm.rfind('/') + 1)));
}

TEST_F(GuestDisks, DisksBelowTheImageOrAboveTheFreeSpaceAreRefusedAndLeaveNothing) {
  const auto image = image_mib();
  ASSERT_GT(image, 1u);
  auto small = error_of([&] { client_->create_vm("disk-small", {{"disk", sdbus::Variant(static_cast<std::uint32_t>(image - 1))}}); });
  ASSERT_TRUE(small);
  EXPECT_EQ(small->getName(), "org.freedesktop.DBus.Error.InvalidArgs");
  EXPECT_NE(small->getMessage().find(std::to_string(image) + " MiB"), std::string::npos) << small->getMessage();
  EXPECT_NE(small->getMessage().find(std::to_string(image - 1) + " MiB"), std::string::npos) << small->getMessage();

  const std::uint32_t sixteen_tib = 16u << 20;
  auto huge = error_of([&] { client_->create_vm("disk-huge", {{"disk", sdbus::Variant(sixteen_tib)}}); });
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->getName(), banger::bus::error::resource_exhausted) << huge->getMessage();
  EXPECT_NE(huge->getMessage().find("free"), std::string::npos) << huge->getMessage();

  EXPECT_FALSE(vm_exists("disk-small"));
  EXPECT_FALSE(vm_exists("disk-huge"));
  std::error_code ec;
  EXPECT_TRUE(!fs::exists(state() / "vms", ec) || fs::is_empty(state() / "vms", ec)) << "no VM directory is left";
}

TEST_F(GuestDisks, DoctorSaysHowRootDisksAreMade) {
  using Row = sdbus::Struct<std::string, std::string, std::string, std::string, std::string>;
  std::vector<Row> rows;
  auto manager = sdbus::createProxy(*connection_, kService, kRoot);
  manager->callMethod("Doctor").onInterface(kManager).storeResultsTo(rows);
  int lines = 0;
  for (const auto& row : rows) {
    if (row.get<0>() != "root-disk") continue;
    ++lines;
    if (row.get<1>() == "warn") {
      EXPECT_NE(row.get<2>().find("copy"), std::string::npos) << row.get<2>();
      EXPECT_NE(row.get<4>().find("mkfs.xfs -m reflink=1"), std::string::npos) << row.get<4>();
    } else {
      EXPECT_EQ(row.get<1>(), "ok") << row.get<2>();
    }
  }
  EXPECT_EQ(lines, 1);
}

}  // namespace
}  // namespace banger::test
