#include "store/sqlite_store.h"

#include <sqlite3.h>

#include <cstdint>
#include <mutex>

#include "core/errors.h"
#include "store/sqlite_store_impl.h"

namespace banger {

using namespace sqlite;

namespace {

NetworkRecord read_network(const Statement::Cursor& c) {
  NetworkRecord network;
  network.name = c.text(0);
  network.bridge = c.text(1);
  network.subnet = c.text(2);
  network.gateway = c.text(3);
  network.nat = c.flag(4);
  network.dns_domain = c.text(5);
  network.created_at_us = c.uint64(6);
  return network;
}

[[noreturn]] void no_such_network(const std::string& name) {
  throw Error(ErrorKind::no_such_network, "no network named '" + name + "'");
}

// Fills each record's leases from one query's rows (network, vm_id, address).
void attach_leases(Statement::Cursor&& c, std::vector<NetworkRecord>& networks) {
  while (c.step())
    for (auto& n : networks)
      if (n.name == c.text(0)) n.leases.emplace(c.text(1), c.text(2));
}

}  // namespace

std::vector<NetworkRecord> SqliteStore::list_networks() {
  std::lock_guard lock(impl_->mutex);
  auto networks = read_rows(impl_->list_networks.run(), read_network);
  attach_leases(impl_->all_leases.run(), networks);
  return networks;
}

std::optional<NetworkRecord> SqliteStore::find_network(const std::string& name) {
  std::lock_guard lock(impl_->mutex);
  auto network = read_first(impl_->find_network.run().bind(1, name), read_network);
  if (!network) return std::nullopt;
  std::vector<NetworkRecord> found{*std::move(network)};
  auto leases = impl_->network_leases.run();
  leases.bind(1, name);
  attach_leases(std::move(leases), found);
  return found.front();
}

void SqliteStore::insert_network(const NetworkRecord& network) {
  std::lock_guard lock(impl_->mutex);
  Transaction tx(impl_->db.get());
  {
    auto c = impl_->insert_network.run();
    c.bind(1, network.name)
        .bind(2, network.bridge)
        .bind(3, network.subnet)
        .bind(4, network.gateway)
        .bind(5, std::int64_t{network.nat ? 1 : 0})
        .bind(6, network.dns_domain)
        .bind(7, static_cast<std::int64_t>(network.created_at_us));
    check_write(impl_->db.get(), c.step_rc(),
                {{SQLITE_CONSTRAINT_PRIMARYKEY, "a network named '" + network.name + "' already exists"},
                 {SQLITE_CONSTRAINT_UNIQUE, "another network already has bridge '" + network.bridge + "' or subnet " +
                                                network.subnet}},
                "cannot write network '" + network.name + "'");
  }
  tx.commit();
}

void SqliteStore::set_network_nat(const std::string& name, bool nat) {
  std::lock_guard lock(impl_->mutex);
  Transaction tx(impl_->db.get());
  impl_->set_nat.run().bind(1, name).bind(2, std::int64_t{nat ? 1 : 0}).step();
  if (sqlite3_changes(impl_->db.get()) == 0) no_such_network(name);
  tx.commit();
}

void SqliteStore::delete_network(const std::string& name) {
  std::lock_guard lock(impl_->mutex);
  delete_unless_used(impl_->db.get(), impl_->lease_users, impl_->remove_network, name, "network", no_such_network);
}

void SqliteStore::insert_lease(const std::string& network, const std::string& vm_id, const std::string& address) {
  std::lock_guard lock(impl_->mutex);
  Transaction tx(impl_->db.get());
  {
    auto c = impl_->insert_lease.run();
    const int rc = c.bind(1, network).bind(2, vm_id).bind(3, address).step_rc();
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
      if (!impl_->find.run().bind(1, vm_id).step()) throw Error(ErrorKind::no_such_vm, "no VM with id '" + vm_id + "'");
      no_such_network(network);
    }
    check_write(impl_->db.get(), rc,
                {{SQLITE_CONSTRAINT_PRIMARYKEY, "VM " + vm_id + " already has an address on network '" + network + "'"},
                 {SQLITE_CONSTRAINT_UNIQUE, "address " + address + " is already leased on network '" + network + "'"}},
                "cannot write the lease of VM " + vm_id);
  }
  tx.commit();
}

std::vector<std::string> SqliteStore::delete_leases(const std::string& vm_id) {
  std::lock_guard lock(impl_->mutex);
  Transaction tx(impl_->db.get());
  std::vector<std::string> networks;
  {
    auto c = impl_->vm_lease_networks.run();
    c.bind(1, vm_id);
    while (c.step()) networks.push_back(c.text(0));
  }
  impl_->remove_leases.run().bind(1, vm_id).step();
  tx.commit();
  return networks;
}

}  // namespace banger
