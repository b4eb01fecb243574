#include "client_impl.h"
#include "properties.h"
#include "dev.banger.banger1.Image_properties.h"

namespace banger::client {

using detail::take;
namespace Image = properties::Image;

ImageInfo image_from_properties(const std::string& path, const std::map<std::string, sdbus::Variant>& props) {
  ImageInfo image;
  image.path = path;
  take<Image::Id>(props, image.id);
  take<Image::Name>(props, image.name);
  take<Image::Kernel>(props, image.kernel);
  take<Image::Vmlinux>(props, image.vmlinux);
  take<Image::Initrd>(props, image.initrd);
  take<Image::Rootfs>(props, image.rootfs);
  take<Image::Backends>(props, image.backends);
  take<Image::SizeBytes>(props, image.size_bytes);
  take<Image::CreatedAt>(props, image.created_at_us);
  take<Image::IsDefault>(props, image.is_default);
  return image;
}

}  // namespace banger::client
