#pragma once
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/authorized_key_store.h"
#include "core/forward_store.h"
#include "core/image_store.h"
#include "core/network_store.h"
#include "core/snapshot.h"
#include "store/migrations.h"
#include "core/store.h"

namespace banger {

// Store backed by one SQLite file (WAL mode). Opening applies any schema
// migrations the file has not seen yet and refuses files written by a newer
// bangerd. ":memory:" gives a private in-memory database (for tests).
class SqliteStore final : public Store, public ImageStore, public NetworkStore, public AuthorizedKeyStore,
                          public ForwardStore, public SnapshotStore {
 public:
  explicit SqliteStore(const std::filesystem::path& db_file);
  // Exercises the migration machinery with a custom step list (tests only).
  SqliteStore(const std::filesystem::path& db_file, std::span<const Migration> migrations);
  ~SqliteStore() override;

  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  std::vector<VmRecord> list_vms() override;
  std::optional<VmRecord> find_vm(const std::string& id) override;
  void insert_vm(const VmRecord& vm) override;
  void update_vm(const VmRecord& vm) override;
  void delete_vm(const std::string& id) override;

  std::vector<ImageRecord> list_images() override;
  std::optional<ImageRecord> find_image(const std::string& id) override;
  void insert_image(const ImageRecord& image) override;
  void delete_image(const std::string& id) override;
  void set_default_image(const std::string& id) override;

  std::vector<NetworkRecord> list_networks() override;
  std::optional<NetworkRecord> find_network(const std::string& name) override;
  void insert_network(const NetworkRecord& network) override;
  void set_network_nat(const std::string& name, bool nat) override;
  void delete_network(const std::string& name) override;
  void insert_lease(const std::string& network, const std::string& vm_id, const std::string& address) override;
  std::vector<std::string> delete_leases(const std::string& vm_id) override;

  std::vector<StoredAuthorizedKey> list_authorized_keys(const std::string& vm_id) override;
  std::map<std::string, std::vector<StoredAuthorizedKey>> all_authorized_keys() override;
  std::size_t add_authorized_keys(const std::string& vm_id, const std::vector<StoredAuthorizedKey>& keys,
                                  std::size_t max_keys) override;
  std::size_t remove_authorized_keys(const std::string& vm_id, const std::vector<std::string>& blobs) override;
  std::vector<PortForward> list_forwards(const std::string& vm_id) override;
  std::vector<VmForward> list_all_forwards() override;
  void insert_forward(const std::string& vm_id, const PortForward& forward) override;
  bool delete_forward(const std::string& vm_id, const std::string& protocol, std::uint16_t host_port) override;

  std::vector<SnapshotRecord> list_snapshots(const std::string& vm_id) override;
  std::vector<SnapshotRecord> list_all_snapshots() override;
  std::optional<SnapshotRecord> find_snapshot(const std::string& id) override;
  void insert_snapshot(const SnapshotRecord& snapshot) override;
  std::vector<SnapshotRecord> delete_snapshot(const std::string& id) override;
  std::string latest_snapshot(const std::string& vm_id) override;
  void set_latest_snapshot(const std::string& vm_id, const std::string& snapshot_id) override;
  std::uint64_t snapshot_bytes_of_owner(std::uint32_t owner_uid) override;

  int schema_version();  // highest applied migration, 0 for none
  bool integrity_ok();   // PRAGMA integrity_check reports "ok"

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace banger
