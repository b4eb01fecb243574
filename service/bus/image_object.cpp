#include "bus/image_object.h"

#include "banger/bus_names.h"
#include "bus/live_object.h"
#include "bus/removal_signal.h"
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

void ImageObject::announce_removal() { announce_removed(getObject()); }

void ImageObject::update(const ImageRecord& image) {
  const auto changed = properties::Image::table.changed(image_, image);
  image_ = image;
  if (!changed.empty()) getObject().emitPropertiesChangedSignal(bus::image_interface, changed);
}

void ImageObject::remove(sdbus::Result<>&& result, const Caller& caller) {
  authorize_and_run(ctx_, std::move(result), caller, bus::action::manage_images,
                    {{"image", image_.name}, {"image_id", image_.id}, {"verb", "delete"}},
                    [&images = ctx_.images, id = image_.id] {
                      images.remove(id);
                      return std::tuple<>();
                    },
                    alive_or_gone(*this, ErrorKind::no_such_image));
}

void ImageObject::Delete(sdbus::Result<>&& result) {
  remove(std::move(result), caller_of(*getObject().getCurrentlyProcessedMessage()));
}

}  // namespace banger
