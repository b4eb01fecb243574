// Autostart (issue 16): the option at CreateVM and Set, the stored column
// (migration 8), a clone without it, the boot record, which VMs the pass after
// a boot starts, and the marker file banger-autostart.service's condition checks.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <sstream>

#include "core/autostart.h"
#include "core/autostart_marker.h"
#include "core/boot_id.h"
#include "core/options.h"
#include "error_kind.h"
#include "store_fixtures.h"
#include "vm_manager_fixture.h"

namespace banger {
namespace {

using testing::kind_of;
using testing::make_vm;
namespace fs = std::filesystem;

const HostLimits limits{4, 8192};
const CreateDefaults defaults{1, 512, "default"};

std::string read(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write(const fs::path& file, const std::string& text) { std::ofstream(file) << text; }

struct TempDir {
  fs::path path = temp_dir();
  ~TempDir() { fs::remove_all(path); }
};

TEST(AutostartOption, OffUnlessAskedForAtCreate) {
  EXPECT_FALSE(parse_create_request("web", {}, defaults, limits).autostart);
  EXPECT_TRUE(parse_create_request("web", {{"autostart", true}}, defaults, limits).autostart);
  EXPECT_EQ(kind_of([] { parse_create_request("web", {{"autostart", std::string("on")}}, defaults, limits); }),
            ErrorKind::invalid_args);
}

TEST(AutostartOption, SetChangesItAtAnyTime) {
  const auto changes = parse_changes({{"autostart", true}}, limits);
  ASSERT_TRUE(changes.autostart.has_value());
  EXPECT_TRUE(*changes.autostart);
  EXPECT_FALSE(changes.touches_hardware()) << "so it may change while the VM runs";
  EXPECT_EQ(kind_of([] { parse_changes({{"autostart", std::uint32_t{1}}}, limits); }), ErrorKind::invalid_args);
}

TEST(AutostartStore, TheColumnIsKeptWithTheVm) {
  SqliteStore store{":memory:"};
  auto web = make_vm("id-web", "web");
  store.insert_vm(web);
  EXPECT_FALSE(store.find_vm(web.id)->autostart) << "off unless asked for";
  web.autostart = true;
  store.update_vm(web);
  EXPECT_TRUE(store.find_vm(web.id)->autostart);
  auto db = make_vm("id-db", "db", 2000);
  db.autostart = true;
  store.insert_vm(db);
  EXPECT_TRUE(store.find_vm(db.id)->autostart);
}

TEST_F(VmManagerTest, AutostartIsSetAtCreateAndBySetButNotCopiedByAClone) {
  CreateSpec spec{"web", 2, 256, "default", {}};
  spec.autostart = true;
  auto web = manager.finish_create(manager.begin_create(spec, 1000).id, progress);
  EXPECT_TRUE(web.autostart);
  auto copy = manager.begin_clone(web.id, "web-2", 1000);
  EXPECT_FALSE(copy.autostart) << "whether a copy comes up at boot is its owner's choice";
  manager.finish_clone(copy.id, web.id, progress);

  auto running_vm = running("db");
  VmChanges on;
  on.autostart = true;
  EXPECT_TRUE(manager.set(running_vm.id, on).autostart) << "any time, also while running";
  EXPECT_TRUE(store.find_vm(running_vm.id)->autostart);
}

TEST(BootId, ANewIdIsANewBootOnceAndAMissingRecordIsOneToo) {
  TempDir dir;
  const auto record = dir.path / "boot_id";
  EXPECT_TRUE(note_boot(record, "boot-1")) << "bangerd's first start: no boot seen yet";
  EXPECT_EQ(read(record), "boot-1\n");
  EXPECT_FALSE(note_boot(record, "boot-1")) << "a restart within the same boot";
  EXPECT_TRUE(note_boot(record, "boot-2")) << "after a reboot";
  EXPECT_FALSE(note_boot(record, "boot-2"));
}

TEST(BootId, ReadsTheFirstLineAndRefusesAnEmptyFile) {
  TempDir dir;
  write(dir.path / "id", "0a9f6c2e-8d1c-4f34-9b1e-3a52d5b7e001\n");
  EXPECT_EQ(read_boot_id(dir.path / "id"), "0a9f6c2e-8d1c-4f34-9b1e-3a52d5b7e001");
  write(dir.path / "empty", "");
  EXPECT_EQ(kind_of([&] { read_boot_id(dir.path / "empty"); }), ErrorKind::internal);
  EXPECT_EQ(kind_of([&] { read_boot_id(dir.path / "missing"); }), ErrorKind::internal);
  EXPECT_FALSE(read_boot_id(kernel_boot_id_file).empty()) << "the kernel's own";
}

VmRecord vm_in(const std::string& name, VmState state, bool autostart) {
  auto vm = make_vm("id-" + name, name);
  vm.state = state;
  vm.autostart = autostart;
  return vm;
}

TEST(AutostartPass, StartsTheDownVmsWithAutostartAndGoesOnAfterAFailure) {
  const std::vector<VmRecord> vms{
      vm_in("created", VmState::created, true),   vm_in("stopped", VmState::stopped, true),
      vm_in("failed", VmState::failed, true),     vm_in("running", VmState::running, true),
      vm_in("starting", VmState::starting, true), vm_in("off", VmState::stopped, false),
      vm_in("suspended", VmState::suspended, true), vm_in("paused", VmState::paused, true),
  };
  std::vector<std::string> asked;
  std::stop_source never;
  const int started = start_autostart_vms(
      vms,
      [&asked](const std::string& id) {
        asked.push_back(id);
        if (id == "id-stopped") throw Error(ErrorKind::backend_failed, "no VMM");
      },
      never.get_token());
  EXPECT_EQ(asked, (std::vector<std::string>{"id-created", "id-stopped", "id-failed", "id-suspended"}))
      << "a suspended VM is restored (issue 19)";
  EXPECT_EQ(started, 3) << "the failed start is logged and the pass goes on";
}

TEST(AutostartPass, StopsBeforeTheNextVmWhenBangerdStops) {
  const std::vector<VmRecord> vms{vm_in("a", VmState::stopped, true), vm_in("b", VmState::stopped, true)};
  std::stop_source stop;
  std::vector<std::string> asked;
  start_autostart_vms(
      vms,
      [&](const std::string& id) {
        asked.push_back(id);
        stop.request_stop();
      },
      stop.get_token());
  EXPECT_EQ(asked, (std::vector<std::string>{"id-a"}));
}

TEST(AutostartPass, RunsOnceABootAndNeverOnARestartWithinIt) {
  TempDir dir;
  write(dir.path / "kernel_boot_id", "boot-1\n");
  const std::vector<VmRecord> vms{vm_in("web", VmState::stopped, true)};
  std::atomic<int> starts{0};
  auto start = [&starts](const std::string&) { ++starts; };
  // Joined, not dropped: dropping the thread asks it to stop (bangerd stopping) before its next VM.
  auto run = [&] {
    auto pass = autostart_after_boot(dir.path / "kernel_boot_id", dir.path / "boot_id", vms, start);
    if (pass.joinable()) pass.join();
  };
  run();
  EXPECT_EQ(starts, 1);
  run();
  EXPECT_EQ(starts, 1) << "same boot";
  write(dir.path / "kernel_boot_id", "boot-2\n");
  run();
  EXPECT_EQ(starts, 2) << "after a reboot";
  fs::remove(dir.path / "kernel_boot_id");
  run();
  EXPECT_EQ(starts, 2) << "an unreadable boot id starts nothing";
  EXPECT_EQ(read(dir.path / "boot_id"), "boot-2\n") << "and records nothing";
}

TEST(AutostartMarkerFile, ExistsExactlyWhileSomeVmHasAutostart) {
  TempDir dir;
  const auto file = dir.path / "autostart";
  write(file, "stale\n");
  AutostartMarker marker(file);
  auto web = vm_in("web", VmState::stopped, false);
  marker.vm_added(vm_in("early", VmState::created, true));
  EXPECT_EQ(read(file), "stale\n") << "events before load() are ignored";

  marker.load({web});
  EXPECT_FALSE(fs::exists(file)) << "what an earlier run left is corrected at load";

  auto on = web;
  on.autostart = true;
  marker.vm_changed(web, on, "");
  EXPECT_EQ(read(file), "id-web web\n");
  EXPECT_EQ(fs::status(file).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);

  auto db = vm_in("db", VmState::created, true);
  marker.vm_added(db);
  EXPECT_EQ(read(file), "id-db db\nid-web web\n");
  auto renamed = on;
  renamed.name = "www";
  marker.vm_changed(on, renamed, "");
  EXPECT_EQ(read(file), "id-db db\nid-web www\n") << "the list follows renames";

  marker.vm_removed(db);
  EXPECT_EQ(read(file), "id-web www\n");
  marker.vm_changed(renamed, web, "");
  EXPECT_FALSE(fs::exists(file)) << "gone once no VM has autostart";
  EXPECT_FALSE(fs::exists(fs::path(file.string() + ".tmp")));

  marker.load({on});
  EXPECT_TRUE(fs::exists(file)) << "a start-up with autostart VMs writes it";
}

}  // namespace
}  // namespace banger
