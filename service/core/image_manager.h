#pragma once
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/capability.h"
#include "core/image.h"
#include "core/image_events.h"
#include "core/image_parts.h"
#include "core/image_store.h"

namespace banger {

// The image registry: import (copy into <state>/images/<id>/), delete, the
// default image, and resolving refs. Import is two steps so the bus can answer
// at once: begin_import validates and reserves the name; finish_import copies
// (on a worker) and registers. When finish_import fails nothing is left: no
// row, no files.
class ImageManager {
 public:
  struct Deps {
    ImageStore& store;
    ImageEvents& events;
  };
  ImageManager(Deps deps, std::filesystem::path state_dir);

  struct PendingImport {
    ImageRecord image;  // id, name and the paths it will have
    ImageSources sources;
  };
  // Error(invalid_args) for a bad name or bad parts, Error(exists) for a taken name.
  PendingImport begin_import(std::string name, ImageSources sources);
  ImageRecord finish_import(PendingImport pending, ProgressSink& progress);

  // Error(busy) while a VM uses it; its files go after the row.
  void remove(const std::string& id);
  ImageRecord set_default(std::string_view ref);

  // At start-up: removes the files of imports cut off by a crash (directories
  // named like an image id that no registered image owns).
  void recover();

  std::vector<ImageRecord> list();
  ImageRecord resolve(std::string_view ref);  // Error(no_such_image | ambiguous | invalid_args)
  // What a new VM records for CreateVM's image option: the id of the image
  // `ref` names, or of the default image when `ref` is empty ("" when there is
  // none; the capabilities that boot images refuse that).
  std::string image_for_create(std::string_view ref);

  std::filesystem::path image_dir(const std::string& id) const { return state_dir_ / "images" / id; }

 private:
  void release_name(const std::string& name);

  Deps deps_;
  std::filesystem::path state_dir_;
  std::mutex mutex_;                // guards importing_ and orders default changes
  std::set<std::string> importing_; // names reserved by imports in flight
};

}  // namespace banger
