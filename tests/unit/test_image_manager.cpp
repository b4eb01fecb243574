#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <mutex>

#include "core/errors.h"
#include "core/image_manager.h"
#include "image_fixtures.h"
#include "recording_events.h"
#include "store/sqlite_store.h"

namespace banger {
namespace {

namespace fs = std::filesystem;
using testing::open_read;
using testing::read_all;

class RecordingImageEvents final : public ImageEvents {
 public:
  std::vector<std::string> seen;  // "added <name>", "changed <name> default=<0|1>", "removed <name>"
  void image_added(const ImageRecord& i) override { seen.push_back("added " + i.name); }
  void image_changed(const ImageRecord& i) override {
    seen.push_back("changed " + i.name + " default=" + (i.is_default ? "1" : "0"));
  }
  void image_removed(const ImageRecord& i) override { seen.push_back("removed " + i.name); }
};

class RecordingProgress final : public ProgressSink {
 public:
  std::vector<double> fractions;
  std::string throw_at;  // a stage at which to fail, as a copy might
  void report(std::string_view stage, double fraction) override {
    if (!throw_at.empty() && stage == throw_at) throw Error(ErrorKind::backend_failed, "injected failure");
    fractions.push_back(fraction);
  }
};

struct ImageManagerTest : ::testing::Test {
  fs::path dir = fs::temp_directory_path() / ("banger-images-" + std::to_string(getpid()));
  fs::path src = dir / "src";
  fs::path state = dir / "state";
  SqliteStore store{":memory:"};
  RecordingImageEvents events;
  ImageManager images{{store, events}, state};
  RecordingProgress progress;

  void SetUp() override {
    testing::write_stand_in_image(src);
    testing::make_ext4(src / "rootfs.ext4", 8 << 20);
    fs::create_directories(state / "images");
  }
  void TearDown() override { fs::remove_all(dir); }

  ImageSources sources(std::initializer_list<std::pair<ImagePart, fs::path>> parts) {
    ImageSources out;
    for (const auto& [part, file] : parts) out.emplace(part, open_read(file));
    return out;
  }
  ImageSources standard() {
    return sources({{ImagePart::kernel, src / "vmlinuz"},
                    {ImagePart::initrd, src / "initrd.img"},
                    {ImagePart::rootfs, src / "rootfs.ext4"}});
  }
  ImageRecord import(const std::string& name, ImageSources parts) {
    return images.finish_import(images.begin_import(name, std::move(parts)), progress);
  }
  // Nothing of an image is left: no row, no directory under images/.
  void expect_nothing_left() {
    EXPECT_TRUE(store.list_images().empty());
    EXPECT_TRUE(fs::is_empty(state / "images")) << "files were left behind";
  }
  static ErrorKind kind_of(const std::function<void()>& f) {
    try {
      f();
    } catch (const Error& e) {
      return e.kind();
    }
    return ErrorKind::internal;
  }
};

TEST_F(ImageManagerTest, ImportCopiesEveryPartIntoTheStateDirectory) {
  auto image = import("debian", standard());
  EXPECT_EQ(image.id.size(), 32u);
  const auto home = state / "images" / image.id;
  EXPECT_EQ(image.kernel, (home / "vmlinuz").string());
  EXPECT_EQ(image.initrd, (home / "initrd.img").string());
  EXPECT_EQ(image.rootfs, (home / "rootfs.ext4").string());
  EXPECT_TRUE(image.vmlinux.empty());
  EXPECT_EQ(read_all(image.kernel), read_all(src / "vmlinuz"));
  EXPECT_EQ(read_all(image.rootfs), read_all(src / "rootfs.ext4"));
  EXPECT_EQ(image.size_bytes, fs::file_size(src / "vmlinuz") + fs::file_size(src / "initrd.img") + (8u << 20));
  EXPECT_EQ(image.backends(), std::vector<std::string>{"qemu"});

  auto stored = store.find_image(image.id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(*stored, image);
  EXPECT_EQ(events.seen, std::vector<std::string>{"added debian"});
  ASSERT_FALSE(progress.fractions.empty());
  EXPECT_TRUE(std::is_sorted(progress.fractions.begin(), progress.fractions.end()));
  EXPECT_EQ(progress.fractions.back(), 1.0);
}

TEST_F(ImageManagerTest, InvalidPartsAreRefusedAndLeaveNothing) {
  fs::create_directories(src / "a-directory");
  const std::vector<std::pair<std::string, std::function<ImageSources()>>> cases{
      {"no rootfs", [&] { return sources({{ImagePart::kernel, src / "vmlinuz"}}); }},
      {"no kernel", [&] { return sources({{ImagePart::rootfs, src / "rootfs.ext4"}, {ImagePart::initrd, src / "initrd.img"}}); }},
      {"kernel not a bzImage",
       [&] { return sources({{ImagePart::kernel, src / "vmlinux"}, {ImagePart::rootfs, src / "rootfs.ext4"}}); }},
      {"vmlinux not ELF",
       [&] { return sources({{ImagePart::vmlinux, src / "vmlinuz"}, {ImagePart::rootfs, src / "rootfs.ext4"}}); }},
      {"rootfs not ext4",
       [&] { return sources({{ImagePart::kernel, src / "vmlinuz"}, {ImagePart::rootfs, src / "initrd.img"}}); }},
      {"not a regular file",
       [&] { return sources({{ImagePart::kernel, src / "vmlinuz"}, {ImagePart::rootfs, src / "a-directory"}}); }},
  };
  for (const auto& [what, make] : cases) {
    SCOPED_TRACE(what);
    EXPECT_EQ(kind_of([&] { images.begin_import("bad", make()); }), ErrorKind::invalid_args);
    expect_nothing_left();
  }
  EXPECT_EQ(kind_of([&] { images.begin_import("../etc", standard()); }), ErrorKind::invalid_args);
  EXPECT_EQ(kind_of([&] { images.begin_import("", standard()); }), ErrorKind::invalid_args);
  expect_nothing_left();
  EXPECT_TRUE(events.seen.empty());
}

TEST_F(ImageManagerTest, FailedCopyLeavesNothingAndFreesTheName) {
  progress.throw_at = "copying rootfs";
  EXPECT_EQ(kind_of([&] { import("debian", standard()); }), ErrorKind::backend_failed);
  expect_nothing_left();
  EXPECT_TRUE(events.seen.empty());
  progress.throw_at.clear();
  EXPECT_NO_THROW(import("debian", standard())) << "the name must be free again";
}

TEST_F(ImageManagerTest, NamesAreUniqueEvenWhileImporting) {
  auto first = images.begin_import("debian", standard());
  EXPECT_EQ(kind_of([&] { images.begin_import("debian", standard()); }), ErrorKind::exists);
  images.finish_import(std::move(first), progress);
  EXPECT_EQ(kind_of([&] { images.begin_import("debian", standard()); }), ErrorKind::exists);
}

TEST_F(ImageManagerTest, DeleteIsRefusedWhileAVmUsesTheImage) {
  auto image = import("debian", standard());
  VmRecord vm;
  vm.id = "vm1";
  vm.name = "web";
  vm.image = image.id;
  vm.state = VmState::created;
  store.insert_vm(vm);
  try {
    images.remove(image.id);
    FAIL() << "deleted an image in use";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::busy);
    EXPECT_NE(std::string(e.what()).find("web"), std::string::npos) << "names the VM: " << e.what();
  }
  EXPECT_TRUE(store.find_image(image.id));
  EXPECT_TRUE(fs::exists(image.rootfs));

  store.delete_vm(vm.id);
  images.remove(image.id);
  expect_nothing_left();
  EXPECT_EQ(events.seen.back(), "removed debian");
  EXPECT_EQ(kind_of([&] { images.remove(image.id); }), ErrorKind::no_such_image);
}

TEST_F(ImageManagerTest, AtMostOneDefaultAndCreateUsesIt) {
  EXPECT_EQ(images.image_for_create(""), "") << "no default yet";
  auto a = import("alpha", standard());
  auto b = import("beta", sources({{ImagePart::vmlinux, src / "vmlinux"}, {ImagePart::rootfs, src / "rootfs.ext4"}}));
  EXPECT_EQ(images.image_for_create(""), "") << "importing does not make a default";
  EXPECT_EQ(images.image_for_create("beta"), b.id);

  events.seen.clear();
  EXPECT_TRUE(images.set_default("alpha").is_default);
  EXPECT_EQ(images.image_for_create(""), a.id);
  images.set_default(b.id.substr(0, 8));
  EXPECT_EQ(images.image_for_create(""), b.id);
  EXPECT_EQ(events.seen, (std::vector<std::string>{"changed alpha default=1", "changed alpha default=0",
                                                  "changed beta default=1"}));
  int defaults = 0;
  for (const auto& i : store.list_images()) defaults += i.is_default;
  EXPECT_EQ(defaults, 1);

  EXPECT_EQ(kind_of([&] { images.image_for_create("gamma"); }), ErrorKind::no_such_image);
  EXPECT_EQ(kind_of([&] { images.set_default("gamma"); }), ErrorKind::no_such_image);
  // An empty ref names nothing.
  EXPECT_EQ(kind_of([&] { images.resolve(""); }), ErrorKind::invalid_args);
}

TEST_F(ImageManagerTest, AmbiguousRefsNameTheCandidates) {
  import("debian-12", standard());
  import("debian-13", standard());
  try {
    images.resolve("debian-1");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::ambiguous);
    EXPECT_NE(std::string(e.what()).find("debian-12"), std::string::npos) << e.what();
  }
}

TEST_F(ImageManagerTest, RecoverRemovesOnlyUnfinishedImports) {
  auto kept = import("debian", standard());
  const auto orphan = state / "images" / "0123456789abcdef0123456789abcdef";
  const auto legacy = state / "images" / "default";
  fs::create_directories(orphan);
  fs::create_directories(legacy);
  images.recover();
  EXPECT_FALSE(fs::exists(orphan));
  EXPECT_TRUE(fs::exists(legacy)) << "not named like an id: not ours to remove";
  EXPECT_TRUE(fs::exists(kept.rootfs));
}

}  // namespace
}  // namespace banger
