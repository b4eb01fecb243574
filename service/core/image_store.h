#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/image.h"

namespace banger {

// Persistent image registry (beside the VMs, in the same database). Thread-safe;
// every mutation is one transaction. Errors: Error(exists) when a name or id is
// taken, Error(no_such_image) for a missing id, Error(busy) when deleting an
// image a VM uses, Error(internal) otherwise.
class ImageStore {
 public:
  virtual ~ImageStore() = default;

  virtual std::vector<ImageRecord> list_images() = 0;  // ordered by created_at_us, then id
  virtual std::optional<ImageRecord> find_image(const std::string& id) = 0;
  virtual void insert_image(const ImageRecord& image) = 0;  // is_default is ignored
  // Refuses (busy) while any VM row references the image, in the same transaction.
  virtual void delete_image(const std::string& id) = 0;
  // Marks `id` the one default image (every other loses the flag).
  virtual void set_default_image(const std::string& id) = 0;
};

}  // namespace banger
