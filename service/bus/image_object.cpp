#include "bus/image_object.h"

#include "banger/bus_names.h"
#include "banger/object_path.h"
#include "bus/request.h"
#include "core/image_manager.h"

namespace banger {

ImageObject::ImageObject(BusContext& ctx, ImageRecord image)
    : AdaptorInterfaces(ctx.connection, bus::image_path(image.id)), ctx_(ctx), image_(std::move(image)) {
  registerAdaptor();
  getObject().emitInterfacesAddedSignal();
}

ImageObject::~ImageObject() { unregisterAdaptor(); }

void ImageObject::announce_removal() { getObject().emitInterfacesRemovedSignal(); }

void ImageObject::update(const ImageRecord& image) {
  const bool default_changed = image.is_default != image_.is_default;
  image_ = image;
  if (default_changed) getObject().emitPropertiesChangedSignal(bus::image_interface, {"IsDefault"});
}

void ImageObject::remove(sdbus::Result<>&& result, const Caller& caller) {
  authorize_and_run(ctx_, std::move(result), caller, bus::action::manage_images,
                    {{"image", image_.name}, {"image_id", image_.id}, {"verb", "delete"}},
                    [&images = ctx_.images, id = image_.id] {
                      images.remove(id);
                      return std::tuple<>();
                    },
                    still_owned(*this, ErrorKind::no_such_image, image_.name));
}

void ImageObject::Delete(sdbus::Result<>&& result) {
  remove(std::move(result), caller_of(*getObject().getCurrentlyProcessedMessage()));
}

}  // namespace banger
