// Client's image methods: list, get, import (files opened here, sent as fds),
// set the default, delete.
#include "client_impl.h"
#include "errors_internal.h"
#include "operation_watch.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace banger::client {

using detail::translate;

namespace {

ImageInfo read_image(sdbus::IConnection& connection, const std::string& path) {
  ImageProxy image(connection, path);
  return image_from_properties(path, image.GetAll(bus::image_interface));
}

// Opens one part with the caller's rights; bangerd copies from the descriptor.
sdbus::UnixFd open_part(const std::string& part, const std::string& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) throw Error(ErrorCode::usage, {}, part + ": cannot open " + file + ": " + std::strerror(errno));
  return sdbus::UnixFd(fd, sdbus::adopt_fd);
}

}  // namespace

std::vector<ImageInfo> Client::list_images() {
  std::lock_guard lock(impl_->mutex);
  return translate(
      [&] { return managed_objects<ImageInfo>(*impl_->manager, bus::image_interface, image_from_properties); });
}

ImageInfo Client::get_image(const std::string& ref) {
  if (ref.empty()) throw Error(ErrorCode::usage, {}, "empty image reference");
  std::lock_guard lock(impl_->mutex);
  return translate([&] { return read_image(*impl_->connection, impl_->manager->GetImage(ref)); });
}

ImageInfo Client::import_image(const std::string& name, const ImageSourceFiles& files,
                               const ProgressCallback& progress, std::chrono::milliseconds timeout) {
  std::lock_guard lock(impl_->mutex);
  return translate([&] { return impl_->import_image(name, files, progress, timeout); });
}

ImageInfo Client::Impl::import_image(const std::string& name, const ImageSourceFiles& files,
                                     const ProgressCallback& progress, std::chrono::milliseconds timeout) {
  // Keys as the ImportImage contract names them.
  std::map<std::string, sdbus::Variant> parts;
  for (const auto& [key, file] : {std::pair<const char*, const std::string&>{"rootfs", files.rootfs},
                                  {"kernel", files.kernel},
                                  {"vmlinux", files.vmlinux},
                                  {"initrd", files.initrd}})
    if (!file.empty()) parts.emplace(key, sdbus::Variant(open_part(key, file)));

  const auto [image_path, op_path] = manager->ImportImage(name, parts);
  parts.clear();  // bangerd holds its own copies of the descriptors
  detail::follow_operation(*connection, op_path, progress, timeout, "the image to be imported");
  return read_image(*connection, image_path);
}

void Client::set_default_image(const std::string& ref) {
  if (ref.empty()) throw Error(ErrorCode::usage, {}, "empty image reference");
  std::lock_guard lock(impl_->mutex);
  translate([&] { impl_->manager->SetDefaultImage(ref); });
}

void Client::remove_image(const std::string& ref) {
  if (ref.empty()) throw Error(ErrorCode::usage, {}, "empty image reference");
  std::lock_guard lock(impl_->mutex);
  translate([&] { impl_->manager->DeleteImage(ref); });
}

}  // namespace banger::client
