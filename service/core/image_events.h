#pragma once
#include "core/image.h"

namespace banger {

// What ImageManager tells the bus layer (image objects and their signals).
// Called on worker threads, after the store commit.
class ImageEvents {
 public:
  virtual ~ImageEvents() = default;
  virtual void image_added(const ImageRecord& image) = 0;
  virtual void image_changed(const ImageRecord& after) = 0;  // only IsDefault changes
  virtual void image_removed(const ImageRecord& image) = 0;
};

}  // namespace banger
