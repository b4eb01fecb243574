#include "bus/image_parts_request.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/off_limits.h"
#include "core/open_as_user.h"

namespace banger {

ImagePartsRequest read_image_parts(const std::map<std::string, sdbus::Variant>& parts) {
  ImagePartsRequest out;
  for (const auto& [key, value] : parts) {
    const auto part = parse_image_part(key);
    if (!part)
      throw Error(ErrorKind::invalid_args, fmt::format("unknown image part '{}' (known: kernel, vmlinux, initrd, rootfs)", key));
    if (value.containsValueOfType<sdbus::UnixFd>()) {
      out.fds.emplace(*part, UniqueFd(value.get<sdbus::UnixFd>().release()));
    } else if (value.containsValueOfType<std::string>()) {
      auto path = value.get<std::string>();
      if (path.empty() || path.front() != '/')
        throw Error(ErrorKind::invalid_args, fmt::format("image part '{}': '{}' is not an absolute path", key, path));
      out.paths.emplace(*part, std::move(path));
    } else {
      throw Error(ErrorKind::invalid_args,
                  fmt::format("image part '{}' must be a file descriptor (h) or a path (s), not '{}'", key,
                              value.peekValueType()));
    }
  }
  return out;
}

namespace {

void refuse_off_limits(ImagePart part, int fd, const std::string& given, const ImportRights& rights) {
  if (const auto dir = off_limits_dir_holding(fd, rights.off_limits))
    throw Error(ErrorKind::access_denied, fmt::format("image part '{}': {} is inside bangerd's own directory {}; "
                                                      "nothing there is imported",
                                                      to_string(part), given, dir->string()));
}

}  // namespace

ImageSources open_image_parts(ImagePartsRequest request, const ImportRights& rights) {
  ImageSources sources = std::move(request.fds);
  for (const auto& [part, fd] : sources) {
    std::error_code unknown;
    const auto file = std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(fd.get()), unknown);
    refuse_off_limits(part, fd.get(), "the file descriptor's file " + file.string(), rights);
  }
  if (request.paths.empty()) return sources;
  const auto caller = fs_identity_of(rights.caller);
  for (const auto& [part, path] : request.paths) {
    // O_NONBLOCK: a FIFO must not hang the worker; validation refuses it anyway.
    // Symlinks are followed, with the caller's rights: where they lead is checked below.
    auto opened = open_as(caller, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (opened.error == EACCES || opened.error == EPERM)
      throw Error(ErrorKind::access_denied, fmt::format("image part '{}': uid {} may not read {}: {}", to_string(part),
                                                        rights.caller, path, std::strerror(opened.error)));
    if (!opened.fd.valid())
      throw Error(ErrorKind::invalid_args,
                  fmt::format("image part '{}': cannot open {}: {}", to_string(part), path, std::strerror(opened.error)));
    refuse_off_limits(part, opened.fd.get(), path, rights);
    sources.emplace(part, std::move(opened.fd));
  }
  return sources;
}

}  // namespace banger
