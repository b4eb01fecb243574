#include "bus/image_parts_request.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/errors.h"

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

ImageSources open_image_parts(ImagePartsRequest request) {
  ImageSources sources = std::move(request.fds);
  for (const auto& [part, path] : request.paths) {
    // O_NONBLOCK: a FIFO must not hang the worker; validation refuses it anyway.
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd.valid())
      throw Error(ErrorKind::invalid_args,
                  fmt::format("image part '{}': cannot open {}: {}", to_string(part), path, std::strerror(errno)));
    sources.emplace(part, std::move(fd));
  }
  return sources;
}

}  // namespace banger
