#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace banger {

// A named checkpoint of a VM (VM.Snapshot, issue 19): its disks at one instant
// and, taken of a running or paused VM, its memory and device state too. The
// files are under <state>/snapshots/<vm id>/<id>/ (VmManager); the row is the
// checkpoint's commit point, written once every file is on disk.
struct SnapshotRecord {
  std::string id;     // 32 hex digits, like a VM's
  std::string name;   // unique per VM, a DNS label like a VM's name
  std::string vm_id;
  std::uint64_t created_at_us = 0;
  // The files' apparent size, what [quotas] max_disk_mib counts (reflinked
  // disks take no room until either side is written, like sparse ones).
  std::uint64_t size_bytes = 0;
  bool has_memory = false;
  // The checkpoint the VM was last restored from or taken after; empty for none.
  std::string parent;

  bool operator==(const SnapshotRecord&) const = default;
};

// Checkpoint rows, beside the VMs in the same database; a VM's go with its
// row. Thread-safe; every mutation is one transaction. Lists are ordered by
// creation. Errors: Error(exists) for a name the VM already uses,
// Error(no_such_vm) for a missing VM, Error(internal) otherwise.
class SnapshotStore {
 public:
  virtual ~SnapshotStore() = default;

  virtual std::vector<SnapshotRecord> list_snapshots(const std::string& vm_id) = 0;
  virtual std::vector<SnapshotRecord> list_all_snapshots() = 0;
  virtual std::optional<SnapshotRecord> find_snapshot(const std::string& id) = 0;
  // Inserts the checkpoint and makes it its VM's latest (the next one's parent).
  virtual void insert_snapshot(const SnapshotRecord& snapshot) = 0;
  // Deletes it; its children take its parent, and a VM whose latest it was goes
  // back to that parent. Returns the children whose parent changed (none when it was not there).
  virtual std::vector<SnapshotRecord> delete_snapshot(const std::string& id) = 0;
  // The checkpoint the VM was last restored from or taken after; empty for none.
  virtual std::string latest_snapshot(const std::string& vm_id) = 0;
  virtual void set_latest_snapshot(const std::string& vm_id, const std::string& snapshot_id) = 0;
  // What the checkpoints of `owner_uid`'s VMs add up to, in bytes.
  virtual std::uint64_t snapshot_bytes_of_owner(std::uint32_t owner_uid) = 0;
};

// What the domain tells the bus about checkpoints (as VmEvents for VMs).
class SnapshotEvents {
 public:
  virtual ~SnapshotEvents() = default;
  virtual void snapshot_added(const SnapshotRecord& snapshot) = 0;
  virtual void snapshot_changed(const SnapshotRecord& snapshot) = 0;  // its parent moved
  virtual void snapshot_removed(const SnapshotRecord& snapshot) = 0;
};

}  // namespace banger
