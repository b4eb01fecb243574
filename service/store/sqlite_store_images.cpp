#include "store/sqlite_store.h"

#include <sqlite3.h>

#include <cstdint>
#include <mutex>

#include "core/errors.h"
#include "store/sqlite_store_impl.h"

namespace banger {

using namespace sqlite;

namespace {

ImageRecord read_image(const Statement::Cursor& c) {
  ImageRecord image;
  image.id = c.text(0);
  image.name = c.text(1);
  image.kernel = c.text(2);
  image.vmlinux = c.text(3);
  image.initrd = c.text(4);
  image.rootfs = c.text(5);
  image.size_bytes = c.uint64(6);
  image.created_at_us = c.uint64(7);
  image.is_default = c.flag(8);
  return image;
}

[[noreturn]] void no_such_image(const std::string& id) {
  throw Error(ErrorKind::no_such_image, "no image with id '" + id + "'");
}

}  // namespace

std::vector<ImageRecord> SqliteStore::list_images() {
  std::lock_guard lock(impl_->mutex);
  return read_rows(impl_->list_images.run(), read_image);
}

std::optional<ImageRecord> SqliteStore::find_image(const std::string& id) {
  std::lock_guard lock(impl_->mutex);
  return read_first(impl_->find_image.run().bind(1, id), read_image);
}

void SqliteStore::insert_image(const ImageRecord& image) {
  std::lock_guard lock(impl_->mutex);
  Transaction tx(impl_->db.get());
  {
    auto c = impl_->insert_image.run();
    c.bind(1, image.id)
        .bind(2, image.name)
        .bind(3, image.kernel)
        .bind(4, image.vmlinux)
        .bind(5, image.initrd)
        .bind(6, image.rootfs)
        .bind(7, static_cast<std::int64_t>(image.size_bytes))
        .bind(8, static_cast<std::int64_t>(image.created_at_us));
    check_write(impl_->db.get(), c.step_rc(),
                {{SQLITE_CONSTRAINT_UNIQUE, "an image named '" + image.name + "' already exists"},
                 {SQLITE_CONSTRAINT_PRIMARYKEY, "an image with id '" + image.id + "' already exists"}},
                "cannot write image '" + image.id + "'");
  }
  tx.commit();
}

void SqliteStore::delete_image(const std::string& id) {
  std::lock_guard lock(impl_->mutex);
  delete_unless_used(impl_->db.get(), impl_->image_users, impl_->remove_image, id, "image", no_such_image);
}

void SqliteStore::set_default_image(const std::string& id) {
  std::lock_guard lock(impl_->mutex);
  Transaction tx(impl_->db.get());
  impl_->clear_default.run().bind(1, id).step();
  impl_->mark_default.run().bind(1, id).step();
  if (sqlite3_changes(impl_->db.get()) == 0) no_such_image(id);
  tx.commit();
}

}  // namespace banger
