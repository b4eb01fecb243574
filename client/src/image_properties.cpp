#include "client_impl.h"
#include "properties.h"

namespace banger::client {

using detail::take;

ImageInfo image_from_properties(const std::string& path, const std::map<std::string, sdbus::Variant>& props) {
  ImageInfo image;
  image.path = path;
  take(props, "Id", image.id);
  take(props, "Name", image.name);
  take(props, "Kernel", image.kernel);
  take(props, "Vmlinux", image.vmlinux);
  take(props, "Initrd", image.initrd);
  take(props, "Rootfs", image.rootfs);
  take(props, "Backends", image.backends);
  take(props, "SizeBytes", image.size_bytes);
  take(props, "CreatedAt", image.created_at_us);
  take(props, "IsDefault", image.is_default);
  return image;
}

}  // namespace banger::client
