#pragma once
#include <memory>
#include <string>

#include <sdbus-c++/sdbus-c++.h>

#include "bus/bus_context.h"
#include "bus/caller.h"
#include "core/image.h"
#include "bus/image_properties.h"
#include "dev.banger.banger1.Image_table_adaptor.h"

namespace banger {

// One exported image. Properties answer from the cached record.
class ImageObject final
    : public sdbus::AdaptorInterfaces<properties::ImageTableAdaptor<ImageObject>, sdbus::Properties_adaptor>,
      public std::enable_shared_from_this<ImageObject> {
 public:
  // Exports the object and announces it (InterfacesAdded).
  ImageObject(BusContext& ctx, ImageRecord image);
  ~ImageObject();

  const ImageRecord& record() const { return image_; }
  const std::string& path() const { return getObject().getObjectPath(); }
  void update(const ImageRecord& image);
  void announce_removal();
  // A property's value, as a Get answers it (properties::ImageTableAdaptor).
  template <typename Tag>
  typename Tag::type property() const {
    return properties::Image::table.get<Tag>(image_);
  }

  // Delete, shared with Manager.DeleteImage.
  void remove(sdbus::Result<>&& result, const Caller& caller);

 private:
  void Delete(sdbus::Result<>&& result) override;

  BusContext& ctx_;
  ImageRecord image_;
};

}  // namespace banger
