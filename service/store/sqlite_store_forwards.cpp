#include <sqlite3.h>

#include <cstdint>
#include <mutex>

#include <fmt/format.h>

#include "core/errors.h"
#include "store/sqlite_store.h"
#include "store/sqlite_store_impl.h"

namespace banger {

using namespace sqlite;

namespace {

constexpr const char* forward_columns = "vm_id, protocol, host_port, guest_port, automatic";

VmForward read_forward(const Statement::Cursor& c) {
  return {c.text(0),
          {c.text(1), static_cast<std::uint16_t>(c.int64(2)), static_cast<std::uint16_t>(c.int64(3)),
           c.flag(4)}};
}

}  // namespace

// Forwards change seldom: their statements are prepared per call rather than kept in Impl.
std::vector<PortForward> SqliteStore::list_forwards(const std::string& vm_id) {
  std::lock_guard lock(impl_->mutex);
  Statement s(impl_->db.get(), fmt::format("SELECT {} FROM forwards WHERE vm_id = ?1 ORDER BY protocol, host_port",
                                           forward_columns));
  std::vector<PortForward> out;
  for (auto& row : read_rows(s.run().bind(1, vm_id), read_forward)) out.push_back(std::move(row.forward));
  return out;
}

std::vector<VmForward> SqliteStore::list_all_forwards() {
  std::lock_guard lock(impl_->mutex);
  Statement s(impl_->db.get(), fmt::format("SELECT {} FROM forwards ORDER BY protocol, host_port", forward_columns));
  return read_rows(s.run(), read_forward);
}

void SqliteStore::insert_forward(const std::string& vm_id, const PortForward& forward) {
  std::lock_guard lock(impl_->mutex);
  Transaction tx(impl_->db.get());
  {
    Statement holder(impl_->db.get(),
                     "SELECT COALESCE(vms.name, forwards.vm_id) FROM forwards LEFT JOIN vms ON vms.id = forwards.vm_id "
                     "WHERE forwards.protocol = ?1 AND forwards.host_port = ?2");
    auto c = holder.run();
    c.bind(1, forward.protocol).bind(2, std::int64_t{forward.host_port});
    const std::string name = joined_first_column(c);
    if (!name.empty())
      throw Error(ErrorKind::exists,
                  fmt::format("host port {}/{} is already forwarded to VM '{}'", forward.host_port, forward.protocol,
                              name));
  }
  {
    Statement insert(impl_->db.get(), fmt::format("INSERT INTO forwards ({}) VALUES (?1, ?2, ?3, ?4, ?5)",
                                                  forward_columns));
    auto c = insert.run();
    c.bind(1, vm_id)
        .bind(2, forward.protocol)
        .bind(3, std::int64_t{forward.host_port})
        .bind(4, std::int64_t{forward.guest_port})
        .bind(5, std::int64_t{forward.automatic ? 1 : 0});
    const int rc = c.step_rc();
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) throw Error(ErrorKind::no_such_vm, "no VM with id '" + vm_id + "'");
    check_write(impl_->db.get(), rc, {}, "cannot write a forward of VM '" + vm_id + "'");
  }
  tx.commit();
}

bool SqliteStore::delete_forward(const std::string& vm_id, const std::string& protocol, std::uint16_t host_port) {
  std::lock_guard lock(impl_->mutex);
  Transaction tx(impl_->db.get());
  Statement remove(impl_->db.get(), "DELETE FROM forwards WHERE vm_id = ?1 AND protocol = ?2 AND host_port = ?3");
  remove.run().bind(1, vm_id).bind(2, protocol).bind(3, std::int64_t{host_port}).step();
  const bool removed = sqlite3_changes(impl_->db.get()) > 0;
  tx.commit();
  return removed;
}

}  // namespace banger
