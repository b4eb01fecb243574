#pragma once
#include <memory>
#include <string>

#include <sdbus-c++/sdbus-c++.h>

#include "bus/bus_context.h"
#include "bus/caller.h"
#include "core/image.h"
#include "dev.banger.banger1.Image_adaptor.h"

namespace banger {

// One exported image. Properties answer from the cached record.
class ImageObject final
    : public sdbus::AdaptorInterfaces<dev::banger::banger1::Image_adaptor, sdbus::Properties_adaptor>,
      public std::enable_shared_from_this<ImageObject> {
 public:
  // Exports the object and announces it (InterfacesAdded).
  ImageObject(BusContext& ctx, ImageRecord image);
  ~ImageObject();

  const ImageRecord& record() const { return image_; }
  const std::string& path() const { return getObject().getObjectPath(); }
  void update(const ImageRecord& image);
  void announce_removal();

  // Delete, shared with Manager.DeleteImage.
  void remove(sdbus::Result<>&& result, const Caller& caller);

 private:
  void Delete(sdbus::Result<>&& result) override;

  std::string Id() override { return image_.id; }
  std::string Name() override { return image_.name; }
  std::string Kernel() override { return image_.kernel; }
  std::string Vmlinux() override { return image_.vmlinux; }
  std::string Initrd() override { return image_.initrd; }
  std::string Rootfs() override { return image_.rootfs; }
  std::vector<std::string> Backends() override { return image_.backends(); }
  uint64_t SizeBytes() override { return image_.size_bytes; }
  uint64_t CreatedAt() override { return image_.created_at_us; }
  bool IsDefault() override { return image_.is_default; }

  BusContext& ctx_;
  ImageRecord image_;
};

}  // namespace banger
