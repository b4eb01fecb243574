#include "core/image_manager.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/ids.h"
#include "core/log.h"
#include "core/options.h"
#include "core/ref_lookup.h"
#include "core/sparse_copy.h"

namespace banger {

namespace fs = std::filesystem;

ImageManager::ImageManager(Deps deps, fs::path state_dir) : deps_(deps), state_dir_(std::move(state_dir)) {}

void ImageManager::recover() {
  std::error_code error;
  std::set<std::string> known;
  for (const auto& image : list()) known.insert(image.id);
  for (const auto& entry : fs::directory_iterator(state_dir_ / "images", error)) {
    const auto name = entry.path().filename().string();
    const bool id_like = name.size() == 32 && name.find_first_not_of("0123456789abcdef") == std::string::npos;
    if (!id_like || known.contains(name) || entry.is_symlink()) continue;
    log::warn("removing the files of an unfinished image import: {}", entry.path().string());
    fs::remove_all(entry.path(), error);
  }
}

std::vector<ImageRecord> ImageManager::list() { return deps_.store.list_images(); }

ImageRecord ImageManager::resolve(std::string_view ref) {
  auto all = list();
  return resolve_record_ref<ImageRecord>(all, ref, "image", ErrorKind::no_such_image);
}

std::string ImageManager::image_for_create(std::string_view ref) {
  if (!ref.empty()) return resolve(ref).id;
  for (const auto& image : list())
    if (image.is_default) return image.id;
  return {};
}

ImageManager::PendingImport ImageManager::begin_import(std::string name, ImageSources sources) {
  validate_image_name(name);
  validate_image_sources(sources);
  PendingImport pending;
  pending.image.id = new_image_id();
  pending.image.name = std::move(name);
  const auto dir = image_dir(pending.image.id);
  auto path_of = [&](ImagePart part) {
    return sources.contains(part) ? (dir / file_name(part)).string() : std::string();
  };
  pending.image.kernel = path_of(ImagePart::kernel);
  pending.image.vmlinux = path_of(ImagePart::vmlinux);
  pending.image.initrd = path_of(ImagePart::initrd);
  pending.image.rootfs = path_of(ImagePart::rootfs);
  pending.sources = std::move(sources);

  std::lock_guard lock(mutex_);
  auto taken = [&](const std::string& n) {
    if (importing_.contains(n)) return true;
    auto all = list();
    return std::any_of(all.begin(), all.end(), [&](const ImageRecord& i) { return i.name == n; });
  };
  if (taken(pending.image.name))
    throw Error(ErrorKind::exists, fmt::format("an image named '{}' already exists", pending.image.name));
  importing_.insert(pending.image.name);
  return pending;
}

void ImageManager::release_name(const std::string& name) {
  std::lock_guard lock(mutex_);
  importing_.erase(name);
}

ImageRecord ImageManager::finish_import(PendingImport pending, ProgressSink& progress) {
  auto& image = pending.image;
  const auto dir = image_dir(image.id);
  try {
    std::uint64_t total = 0;
    for (const auto& [part, fd] : pending.sources) {
      struct stat st {};
      if (fstat(fd.get(), &st) == 0) total += static_cast<std::uint64_t>(st.st_size);
    }
    fs::create_directories(dir);
    std::uint64_t before = 0;
    for (const auto& [part, fd] : pending.sources) {
      const auto target = dir / file_name(part);
      const std::string stage = fmt::format("copying {}", to_string(part));
      progress.report(stage, total ? 0.95 * static_cast<double>(before) / static_cast<double>(total) : 0.0);
      UniqueFd out(open(target.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
      if (!out.valid())
        throw Error(ErrorKind::backend_failed, fmt::format("cannot create {}: {}", target.string(), std::strerror(errno)));
      copy_sparse(fd.get(), out.get(), std::string(to_string(part)), [&](std::uint64_t done) {
        if (total) progress.report(stage, 0.95 * static_cast<double>(before + done) / static_cast<double>(total));
      });
      struct stat st {};
      if (fstat(out.get(), &st) == 0) before += static_cast<std::uint64_t>(st.st_size);
    }
    image.size_bytes = before;
    image.created_at_us = now_us();
    progress.report("registering", 0.97);
    deps_.store.insert_image(image);
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
    release_name(image.name);
    throw;
  }
  release_name(image.name);
  deps_.events.image_added(image);
  progress.report("done", 1.0);
  log::info("imported image '{}' ({})", image.name, image.id);
  return image;
}

void ImageManager::remove(const std::string& id) {
  auto image = deps_.store.find_image(id);
  if (!image) throw Error(ErrorKind::no_such_image, fmt::format("image {} no longer exists", id));
  try {
    deps_.store.delete_image(id);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::busy)
      throw Error(ErrorKind::busy, fmt::format("cannot delete image '{}': {}", image->name, e.what()));
    throw;
  }
  std::error_code error;
  fs::remove_all(image_dir(id), error);
  if (error) log::warn("image '{}' unregistered, but removing its files failed: {}", image->name, error.message());
  deps_.events.image_removed(*image);
  log::info("deleted image '{}' ({})", image->name, id);
}

ImageRecord ImageManager::set_default(std::string_view ref) {
  std::lock_guard lock(mutex_);
  auto image = resolve(ref);
  std::vector<ImageRecord> previous;
  for (const auto& i : list())
    if (i.is_default && i.id != image.id) previous.push_back(i);
  deps_.store.set_default_image(image.id);
  for (auto& p : previous) {
    p.is_default = false;
    deps_.events.image_changed(p);
  }
  if (!image.is_default) {
    image.is_default = true;
    deps_.events.image_changed(image);
  }
  return image;
}

}  // namespace banger
