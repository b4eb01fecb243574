// (g) Images as objects: ImportImage with file descriptors and with paths,
// their authorization (manage-images), properties, ListImages, the default
// image as CreateVM's fallback, DeleteImage refused while a VM uses it, and
// bangerctl image on top.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "banger/object_path.h"
#include "image_support.h"
#include "test_support.h"

namespace banger::test {
namespace {

namespace fs = std::filesystem;
namespace err = banger::bus::error;
const std::string kImage = banger::bus::image_interface;
using ImageRow = sdbus::Struct<std::string, std::string, bool, sdbus::ObjectPath>;

class Images : public ClientTest {
 protected:
  void SetUp() override {
    ClientTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    src_ = env().dir() / "image-src";
    if (!fs::exists(src_)) write_stand_in_image(src_);
    connection_ = sdbus::createSessionBusConnectionWithAddress(env().address());
    manager_ = sdbus::createProxy(*connection_, kService, kRoot);
  }

  sdbus::Variant fd_of(const std::string& file) { return fd_variant(src_ / file); }
  Options standard_fds() {
    return {{"rootfs", fd_of("rootfs.ext4")}, {"kernel", fd_of("vmlinuz")}, {"initrd", fd_of("initrd.img")}};
  }
  std::pair<std::string, std::string> import(const std::string& name, const Options& parts) {
    return import_image(*manager_, name, parts);
  }
  std::string import_ready(const std::string& name, const Options& parts) {
    return import_image_ready(*manager_, *recorder_, name, parts);
  }
  std::vector<ImageRow> list_images() {
    std::vector<ImageRow> rows;
    manager_->callMethod("ListImages").onInterface(kManager).storeResultsTo(rows);
    return rows;
  }
  std::string get_image(const std::string& ref) {
    sdbus::ObjectPath path;
    manager_->callMethod("GetImage").onInterface(kManager).withArguments(ref).storeResultsTo(path);
    return path;
  }
  void manager_call(const std::string& method, const std::string& ref) {
    manager_->callMethod(method).onInterface(kManager).withArguments(ref);
  }
  sdbus::Variant image_property(const std::string& path, const std::string& name) {
    auto proxy = sdbus::createProxy(*connection_, kService, path);
    return proxy->getProperty(name).onInterface(kImage);
  }
  // A{sv} parts of paths, in busctl's / bus-probe's syntax.
  std::vector<std::string> path_parts() {
    return {"2", "rootfs", "s", (src_ / "rootfs.ext4").string(), "kernel", "s", (src_ / "vmlinuz").string()};
  }

  fs::path src_;
  std::unique_ptr<sdbus::IConnection> connection_;
  std::unique_ptr<sdbus::IProxy> manager_;
};

TEST_F(Images, ImportFromFdsExportsAnImageWithItsProperties) {
  auto [image, op] = import("fd-image", standard_fds());
  const auto id = bus::image_id_from_path(image);
  ASSERT_TRUE(id) << image;
  auto finished = recorder_->wait_for([&](const Signal& s) { return s.path == op && s.member == "Finished"; });
  ASSERT_TRUE(finished);
  ASSERT_TRUE(finished->success) << finished->args.at(0);
  auto added = recorder_->wait_for([&](const Signal& s) { return s.member == "InterfacesAdded" && s.object == image; });
  ASSERT_TRUE(added) << "no InterfacesAdded for " << image;
  EXPECT_EQ(to_string(added->properties.at("Name")), "fd-image");
  auto progress = recorder_->matching([&](const Signal& s) {
    return s.path == op && s.member == "PropertiesChanged" && s.properties.contains("Progress");
  });
  EXPECT_FALSE(progress.empty()) << "the copy reported no progress";

  EXPECT_EQ(image_property(image, "Id").get<std::string>(), *id);
  EXPECT_EQ(image_property(image, "Name").get<std::string>(), "fd-image");
  const auto state_images = env().dir() / "state" / "images" / *id;
  EXPECT_EQ(image_property(image, "Kernel").get<std::string>(), (state_images / "vmlinuz").string());
  EXPECT_EQ(image_property(image, "Rootfs").get<std::string>(), (state_images / "rootfs.ext4").string());
  EXPECT_EQ(image_property(image, "Vmlinux").get<std::string>(), "");
  EXPECT_EQ(image_property(image, "Backends").get<std::vector<std::string>>(), std::vector<std::string>{"qemu"});
  EXPECT_EQ(image_property(image, "SizeBytes").get<std::uint64_t>(),
            fs::file_size(src_ / "vmlinuz") + fs::file_size(src_ / "initrd.img") + (4u << 20));
  EXPECT_GT(image_property(image, "CreatedAt").get<std::uint64_t>(), 0u);
  EXPECT_TRUE(fs::exists(state_images / "rootfs.ext4"));

  EXPECT_EQ(get_image("fd-image"), image);
  bool listed = false;
  for (const auto& row : list_images())
    if (row.get<0>() == *id) listed = row.get<1>() == "fd-image" && row.get<3>() == image;
  EXPECT_TRUE(listed);

  // GetManagedObjects (bangerd's own answer) carries the image too.
  std::map<sdbus::ObjectPath, std::map<std::string, std::map<std::string, sdbus::Variant>>> objects;
  manager_->callMethod("GetManagedObjects").onInterface(kObjectManager).storeResultsTo(objects);
  ASSERT_TRUE(objects.contains(sdbus::ObjectPath(image)));
  const auto& props = objects.at(sdbus::ObjectPath(image)).at(kImage);
  EXPECT_EQ(props.at("Name").get<std::string>(), "fd-image");
  EXPECT_EQ(props.at("Backends").get<std::vector<std::string>>(), std::vector<std::string>{"qemu"});

  manager_call("DeleteImage", "fd-image");
  EXPECT_TRUE(recorder_->wait_for([&](const Signal& s) { return s.member == "InterfacesRemoved" && s.object == image; }));
  EXPECT_FALSE(fs::exists(state_images));
}

TEST_F(Images, BadImportsAreRefusedAndLeaveNothing) {
  const auto before = list_images().size();
  const std::vector<std::pair<std::string, Options>> cases{
      {"no rootfs", {{"kernel", fd_of("vmlinuz")}}},
      {"no kernel", {{"rootfs", fd_of("rootfs.ext4")}}},
      {"kernel not a bzImage", {{"rootfs", fd_of("rootfs.ext4")}, {"kernel", fd_of("not-a-kernel")}}},
      {"vmlinux not ELF", {{"rootfs", fd_of("rootfs.ext4")}, {"vmlinux", fd_of("vmlinuz")}}},
      {"unknown part", {{"rootfs", fd_of("rootfs.ext4")}, {"kernel", fd_of("vmlinuz")}, {"colour", fd_of("vmlinuz")}}},
      {"wrong type", {{"rootfs", sdbus::Variant(std::uint32_t{3})}, {"kernel", fd_of("vmlinuz")}}},
      {"relative path", {{"rootfs", sdbus::Variant(std::string("rootfs.ext4"))}, {"kernel", fd_of("vmlinuz")}}},
      {"missing path", {{"rootfs", sdbus::Variant(std::string("/nonexistent/rootfs"))}, {"kernel", fd_of("vmlinuz")}}},
  };
  for (const auto& [what, parts] : cases) {
    SCOPED_TRACE(what);
    auto e = error_of([&] { import("bad-image", parts); });
    ASSERT_TRUE(e);
    EXPECT_EQ(e->getName(), err::invalid_args) << e->getMessage();
  }
  auto bad_name = error_of([&] { import("Bad/Name", standard_fds()); });
  ASSERT_TRUE(bad_name);
  EXPECT_EQ(bad_name->getName(), err::invalid_args);
  EXPECT_EQ(list_images().size(), before);
  auto missing = error_of([&] { get_image("bad-image"); });
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->getName(), err::no_such_image);
}

TEST_F(Images, TakenNameIsExists) {
  import_ready("taken", standard_fds());
  auto e = error_of([&] { import("taken", standard_fds()); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->getName(), err::exists) << e->getMessage();
  manager_call("DeleteImage", "taken");
}

TEST_F(Images, PathImportNeedsManageImages) {
  const std::vector<std::string> call{kRoot, kManager, "ImportImage", "sa{sv}"};
  for (const std::string user : {"banger-eve", "banger-alice"}) {
    SCOPED_TRACE(user);
    std::vector<std::string> probe{"--no-interactive"};
    probe.insert(probe.end(), call.begin(), call.end());
    probe.push_back("by-" + user);
    auto parts = path_parts();
    probe.insert(probe.end(), parts.begin(), parts.end());
    auto denied = parse_probe(env().probe_as(user, probe));
    EXPECT_EQ(denied.error_name, kDeniedWithoutInteraction) << denied.error_message;
  }
  auto r = env().probe_as("banger-alice", {"--no-interactive", kRoot, kManager, "SetDefaultImage", "s", "anything"});
  EXPECT_EQ(parse_probe(r).error_name, err::no_such_image) << "resolution comes before authorization";

  // A member of group banger may; the daemon opens the paths itself.
  std::vector<std::string> args{"--json=short", "call", kService, kRoot, kManager, "ImportImage", "sa{sv}", "by-op"};
  auto parts = path_parts();
  args.insert(args.end(), parts.begin(), parts.end());
  auto ok = env().busctl("banger-op", args);
  ASSERT_TRUE(ok.ok()) << ok.describe();
  const std::string image = busctl_data(ok)[0].get<std::string>();
  EXPECT_TRUE(recorder_->wait_for([&](const Signal& s) { return s.member == "InterfacesAdded" && s.object == image; }));
  EXPECT_EQ(image_property(image, "Name").get<std::string>(), "by-op");

  auto rm = parse_probe(env().probe_as("banger-eve", {"--no-interactive", image, kImage, "Delete"}));
  EXPECT_EQ(rm.error_name, kDeniedWithoutInteraction) << rm.error_message;
  manager_call("DeleteImage", "by-op");
}

// Issue 17, finding 4: bangerd opens a caller's paths with the caller's rights.
// A root-only file (standing in for /etc/shadow or another user's disk) in a
// directory every user reaches: group banger may import, but not that.
TEST_F(Images, PathImportReadsOnlyWhatTheCallerMayRead) {
  const auto secret_dir = env().dir() / "root-only";
  fs::create_directories(secret_dir);
  const auto secret = secret_dir / "rootfs.ext4";
  fs::copy_file(src_ / "rootfs.ext4", secret, fs::copy_options::overwrite_existing);
  fs::permissions(secret, fs::perms::owner_read | fs::perms::owner_write);

  auto stolen = parse_probe(env().probe_as("banger-op", {kRoot, kManager, "ImportImage", "sa{sv}", "stolen", "2",
                                                         "rootfs", "s", secret.string(), "kernel", "s",
                                                         (src_ / "vmlinuz").string()}));
  EXPECT_EQ(stolen.error_name, err::access_denied) << (stolen.ok ? "imported" : stolen.error_message);
  EXPECT_NE(stolen.error_message.find(secret.string()), std::string::npos) << stolen.error_message;
  for (const auto& row : list_images()) EXPECT_NE(row.get<1>(), "stolen");

  // Root's own call still opens as root.
  import_ready("root-reads", {{"rootfs", sdbus::Variant(secret.string())},
                              {"kernel", sdbus::Variant((src_ / "vmlinuz").string())}});
  manager_call("DeleteImage", "root-reads");
}

// Nothing is imported from bangerd's own directories, whoever asks, by
// whatever name: here another image's disk in the state directory.
TEST_F(Images, NothingIsImportedFromBangerdsOwnDirectories) {
  const auto image = import_ready("theirs", standard_fds());
  const auto stored = env().dir() / "state" / "images" / *bus::image_id_from_path(image);
  const auto alias = env().dir() / "innocent-link";
  fs::remove(alias);
  fs::create_directory_symlink(stored, alias);
  const auto kernel = sdbus::Variant((src_ / "vmlinuz").string());
  const std::vector<std::pair<std::string, Options>> cases{
      {"path", {{"rootfs", sdbus::Variant((stored / "rootfs.ext4").string())}, {"kernel", kernel}}},
      {"symlink", {{"rootfs", sdbus::Variant((alias / "rootfs.ext4").string())}, {"kernel", kernel}}},
      {"fd", {{"rootfs", fd_variant(stored / "rootfs.ext4")}, {"kernel", kernel}}},
  };
  for (const auto& [what, parts] : cases) {
    SCOPED_TRACE(what);
    auto e = error_of([&] { import("copied", parts); });
    ASSERT_TRUE(e) << "imported";
    EXPECT_EQ(e->getName(), err::access_denied) << e->getMessage();
    EXPECT_NE(e->getMessage().find("rootfs.ext4"), std::string::npos) << e->getMessage();
  }
  for (const auto& row : list_images()) EXPECT_NE(row.get<1>(), "copied");
  fs::remove(alias);
  manager_call("DeleteImage", "theirs");
}

TEST_F(Images, DefaultImageBacksCreateAndInUseImagesStay) {
  const auto image = import_ready("deflt", standard_fds());
  const auto id = *bus::image_id_from_path(image);
  EXPECT_FALSE(image_property(image, "IsDefault").get<bool>());
  manager_call("SetDefaultImage", "deflt");
  EXPECT_TRUE(image_property(image, "IsDefault").get<bool>());
  EXPECT_TRUE(recorder_->wait_for([&](const Signal& s) {
    return s.path == image && s.member == "PropertiesChanged" && s.properties.contains("IsDefault");
  }));

  const auto vm = client_->create_ready(*recorder_, "uses-default");
  EXPECT_EQ(client_->vm_string(vm, "Image"), id) << "the VM records the default image's id";
  const auto named = client_->create_ready(*recorder_, "uses-named", {{"image", sdbus::Variant(std::string("deflt"))}});
  EXPECT_EQ(client_->vm_string(named, "Image"), id);
  auto show = env().run_as("", {env().bangerctl(), "show", "uses-named"});
  EXPECT_NE(show.out.find("Image:      deflt (" + id + ")"), std::string::npos) << show.describe();

  auto unknown = error_of([&] { client_->create_vm("unknown-image", {{"image", sdbus::Variant(std::string("nope"))}}); });
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->getName(), err::no_such_image) << unknown->getMessage();
  EXPECT_TRUE(error_of([&] { client_->get_vm("unknown-image"); })) << "no VM is left of a refused create";

  auto busy = error_of([&] { manager_call("DeleteImage", "deflt"); });
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->getName(), err::busy);
  EXPECT_NE(busy->getMessage().find("uses-default"), std::string::npos) << busy->getMessage();
  EXPECT_EQ(get_image(id), image) << "the image stays";

  client_->vm_call(vm, "Delete");
  client_->vm_call(named, "Delete");
  manager_call("DeleteImage", id.substr(0, 10));
  auto gone = error_of([&] { get_image("deflt"); });
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->getName(), err::no_such_image);
}

TEST_F(Images, DoctorSaysWhichBackendsCanBootTheDefaultImage) {
  const auto image = import_ready("doctor-image", standard_fds());  // a bzImage, no vmlinux
  manager_call("SetDefaultImage", "doctor-image");
  using Row = sdbus::Struct<std::string, std::string, std::string, std::string, std::string>;
  std::vector<Row> rows;
  manager_->callMethod("Doctor").onInterface(kManager).storeResultsTo(rows);
  std::map<std::string, Row> by_check;
  for (const auto& row : rows) by_check[row.get<0>()] = row;
  ASSERT_TRUE(by_check.contains("test-vmm")) << "the stand-in backend reports itself";
  EXPECT_EQ(by_check["test-vmm"].get<1>(), "ok");
  ASSERT_TRUE(by_check.contains("qemu-kernel"));
  EXPECT_EQ(by_check["qemu-kernel"].get<1>(), "ok");
  EXPECT_EQ(by_check["qemu-kernel"].get<3>(), image_property(image, "Kernel").get<std::string>());
  ASSERT_TRUE(by_check.contains("firecracker-kernel"));
  const auto& fc = by_check["firecracker-kernel"];
  EXPECT_EQ(fc.get<1>(), "warn") << "Firecracker is not the default backend here";
  EXPECT_NE(fc.get<2>().find("doctor-image"), std::string::npos) << fc.get<2>();
  EXPECT_NE(fc.get<4>().find("CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES"), std::string::npos) << fc.get<4>();

  auto table = env().run_as("banger-eve", {env().bangerctl(), "doctor"});  // reading needs no authorization
  EXPECT_TRUE(table.ok()) << "warnings are no failure\n" << table.describe();
  EXPECT_NE(table.out.find("firecracker-kernel"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("--vmlinux"), std::string::npos) << "the fix is printed\n" << table.out;
  auto json = env().run_as("", {env().bangerctl(), "--json", "doctor"});
  ASSERT_TRUE(json.ok()) << json.describe();
  EXPECT_EQ(nlohmann::json::parse(json.out).size(), rows.size());
}

TEST_F(Images, ImagesAndTheDefaultSurviveARestart) {
  const auto image = import_ready("lasting", standard_fds());
  manager_call("SetDefaultImage", "lasting");
  env().restart_daemon();
  EXPECT_EQ(get_image("lasting"), image);
  EXPECT_TRUE(image_property(image, "IsDefault").get<bool>());
  EXPECT_EQ(image_property(image, "Backends").get<std::vector<std::string>>(), std::vector<std::string>{"qemu"});
  manager_call("DeleteImage", "lasting");
  for (const auto& row : list_images()) EXPECT_NE(row.get<1>(), "lasting");
}

TEST_F(Images, BangerctlImportsListsAndRemoves) {
  auto import_r = env().run_as("", {env().bangerctl(), "--no-progress", "image", "import", "ctl-image", "--rootfs",
                                    (src_ / "rootfs.ext4").string(), "--vmlinux", (src_ / "vmlinux").string()});
  ASSERT_TRUE(import_r.ok()) << import_r.describe();
  auto list = env().run_as("", {env().bangerctl(), "image", "list", "--json"});
  ASSERT_TRUE(list.ok()) << list.describe();
  bool found = false;
  for (const auto& image : json_of(list))
    if (image["name"] == "ctl-image") {
      found = true;
      EXPECT_EQ(image["backends"], nlohmann::json::array({"firecracker"}));
      EXPECT_EQ(image["id"].get<std::string>() + "\n", import_r.out);
    }
  EXPECT_TRUE(found) << list.out;

  auto bad = env().run_as("", {env().bangerctl(), "image", "import", "ctl-bad", "--rootfs",
                               (src_ / "rootfs.ext4").string(), "--kernel", (src_ / "not-a-kernel").string()});
  EXPECT_EQ(bad.exit_code, 2) << bad.describe();
  EXPECT_NE(bad.err.find("bzImage"), std::string::npos) << bad.err;
  auto eve = env().run_as("banger-eve", {env().bangerctl(), "--no-ask-password", "image", "import", "ctl-eve",
                                         "--rootfs", (src_ / "rootfs.ext4").string(), "--kernel",
                                         (src_ / "vmlinuz").string()});
  EXPECT_EQ(eve.exit_code, 4) << eve.describe();

  auto rm = env().run_as("", {env().bangerctl(), "image", "rm", "ctl-image"});
  EXPECT_TRUE(rm.ok()) << rm.describe();
  auto again = env().run_as("", {env().bangerctl(), "image", "rm", "ctl-image"});
  EXPECT_EQ(again.exit_code, 3) << again.describe();
}

TEST_F(Images, BangerctlBuildImportsTheBuiltImageAndMakesItTheDefault) {
  // A stand-in builder (the real one takes minutes): it writes the files the
  // real one does into the directory it is given.
  const auto builder = env().dir() / "fake-builder.sh";
  {
    std::ofstream script(builder);
    script << "#!/bin/sh\nset -e\nmkdir -p \"$1\"\n";
    for (const char* f : {"vmlinuz", "initrd.img", "rootfs.ext4"})
      script << "cp '" << (src_ / f).string() << "' \"$1/" << f << "\"\n";
    script << "echo built\n";
  }
  fs::permissions(builder, fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read |
                               fs::perms::group_exec | fs::perms::others_exec);
  for (const auto& row : list_images()) ASSERT_FALSE(row.get<2>()) << "a default image exists already";

  const auto out = env().dir() / "built-image";
  auto r = env().run_as("", {env().bangerctl(), "--json", "image", "build", "--name", "built", "--output", out.string()},
                        60s, {{"BANGER_IMAGE_BUILDER", builder.string()}});
  ASSERT_TRUE(r.ok()) << r.describe();
  auto image = json_of(r);
  EXPECT_EQ(image["name"], "built");
  EXPECT_EQ(image["default"], true) << "the first image becomes the default";
  EXPECT_EQ(image["backends"], nlohmann::json::array({"qemu"}));
  EXPECT_NE(r.err.find("built"), std::string::npos) << "the builder's output goes to stderr";

  // Again: the image exists, nothing is imported twice.
  auto again = env().run_as("", {env().bangerctl(), "image", "build", "--name", "built", "--output", out.string()}, 60s,
                            {{"BANGER_IMAGE_BUILDER", builder.string()}});
  EXPECT_TRUE(again.ok()) << again.describe();
  EXPECT_EQ(again.out, image["id"].get<std::string>() + "\n");

  auto failing = env().run_as("", {env().bangerctl(), "image", "build", "--output", out.string()}, 60s,
                              {{"BANGER_IMAGE_BUILDER", "/bin/false"}});
  EXPECT_EQ(failing.exit_code, 1) << failing.describe();
  manager_call("DeleteImage", "built");
}

}  // namespace
}  // namespace banger::test
