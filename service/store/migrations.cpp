#include "store/migrations.h"

#include <array>

namespace banger {

namespace {

// Append new steps at the end; never change one that has shipped.
constexpr std::array migrations{
    Migration{1, R"sql(
CREATE TABLE vms (
  id            TEXT    NOT NULL PRIMARY KEY,
  name          TEXT    NOT NULL UNIQUE,
  owner_uid     INTEGER NOT NULL,
  state         TEXT    NOT NULL CHECK (state IN ('creating', 'created', 'starting', 'running',
                                                  'stopping', 'stopped', 'failed')),
  vcpus         INTEGER NOT NULL CHECK (vcpus > 0),
  memory_mib    INTEGER NOT NULL CHECK (memory_mib > 0),
  image         TEXT    NOT NULL,
  last_error    TEXT    NOT NULL DEFAULT '',
  created_at_us INTEGER NOT NULL,
  updated_at_us INTEGER NOT NULL,
  backend       TEXT    NOT NULL DEFAULT '',
  handles       TEXT    NOT NULL DEFAULT ''
);
-- list_vms sorts by these; the index lets SQLite walk rows in order instead of sorting.
CREATE INDEX vms_by_creation ON vms (created_at_us, id);
)sql"},
    Migration{2, R"sql(
-- Guest images; vms.image holds an image id. The partial unique index keeps at
-- most one default.
CREATE TABLE images (
  id            TEXT    NOT NULL PRIMARY KEY,
  name          TEXT    NOT NULL UNIQUE,
  kernel        TEXT    NOT NULL DEFAULT '',
  vmlinux       TEXT    NOT NULL DEFAULT '',
  initrd        TEXT    NOT NULL DEFAULT '',
  rootfs        TEXT    NOT NULL,
  size_bytes    INTEGER NOT NULL,
  created_at_us INTEGER NOT NULL,
  is_default    INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1))
);
CREATE UNIQUE INDEX images_one_default ON images (is_default) WHERE is_default = 1;
CREATE INDEX vms_by_image ON vms (image);
)sql"},
    Migration{3, R"sql(
-- Host networks and their address leases (IPAM): one address per VM per
-- network, unique within the network; a VM's leases go with its row.
CREATE TABLE networks (
  name          TEXT    NOT NULL PRIMARY KEY,
  bridge        TEXT    NOT NULL UNIQUE,
  subnet        TEXT    NOT NULL UNIQUE,
  gateway       TEXT    NOT NULL,
  nat           INTEGER NOT NULL CHECK (nat IN (0, 1)),
  dns_domain    TEXT    NOT NULL,
  created_at_us INTEGER NOT NULL
);
CREATE TABLE leases (
  network TEXT NOT NULL REFERENCES networks (name),
  vm_id   TEXT NOT NULL REFERENCES vms (id) ON DELETE CASCADE,
  address TEXT NOT NULL,
  PRIMARY KEY (network, vm_id),
  UNIQUE (network, address)
);
CREATE INDEX leases_by_vm ON leases (vm_id);
)sql"},
    Migration{4, R"sql(
-- The network each VM attaches to (its lease lives in leases); '' for VMs made
-- before networks, which keep running without one.
ALTER TABLE vms ADD COLUMN network TEXT NOT NULL DEFAULT '';
)sql"},
    Migration{5, R"sql(
-- Disks: the root disk's size (0: the image's), the work disk's (0: none, for
-- VMs made before work disks), how the root disk was cloned, and whether a
-- delete keeps the work disk.
ALTER TABLE vms ADD COLUMN disk_mib INTEGER NOT NULL DEFAULT 0;
ALTER TABLE vms ADD COLUMN work_disk_mib INTEGER NOT NULL DEFAULT 0;
ALTER TABLE vms ADD COLUMN root_disk_strategy TEXT NOT NULL DEFAULT '';
ALTER TABLE vms ADD COLUMN keep_work_disk INTEGER NOT NULL DEFAULT 0 CHECK (keep_work_disk IN (0, 1));
)sql"},
    Migration{6, R"sql(
-- Public keys users gave a VM's guest user (AddAuthorizedKeys), one row per
-- key per VM (the blob makes two lines the same key); they go with the VM.
CREATE TABLE authorized_keys (
  vm_id        TEXT    NOT NULL REFERENCES vms (id) ON DELETE CASCADE,
  key_line     TEXT    NOT NULL,
  key_blob     TEXT    NOT NULL,
  added_at_us  INTEGER NOT NULL,
  added_by_uid INTEGER NOT NULL,
  PRIMARY KEY (vm_id, key_blob)
);
)sql"},
    Migration{7, R"sql(
-- Port forwards: a host port (per protocol) leads to one VM's guest port;
-- automatic ones follow the guest's listening ports while the VM's
-- forward_ports option is on. A VM's forwards go with its row.
CREATE TABLE forwards (
  vm_id      TEXT    NOT NULL REFERENCES vms (id) ON DELETE CASCADE,
  protocol   TEXT    NOT NULL CHECK (protocol IN ('tcp', 'udp')),
  host_port  INTEGER NOT NULL CHECK (host_port BETWEEN 1 AND 65535),
  guest_port INTEGER NOT NULL CHECK (guest_port BETWEEN 1 AND 65535),
  automatic  INTEGER NOT NULL DEFAULT 0 CHECK (automatic IN (0, 1)),
  PRIMARY KEY (protocol, host_port)
);
CREATE INDEX forwards_by_vm ON forwards (vm_id);
ALTER TABLE vms ADD COLUMN forward_ports INTEGER NOT NULL DEFAULT 0 CHECK (forward_ports IN (0, 1));
)sql"},
    Migration{8, R"sql(
-- Autostart (issue 16): bangerd starts the VM once after each host boot. Off
-- for every VM that existed before: nothing comes up that nobody asked for.
ALTER TABLE vms ADD COLUMN autostart INTEGER NOT NULL DEFAULT 0 CHECK (autostart IN (0, 1));
)sql"},
    Migration{9, R"sql(
-- Pause / Resume (issue 19): the state 'paused'. Only the CHECK of vms.state
-- changes, which touches no stored row, so the table's text is edited in place
-- (SQLite's documented way for such changes) rather than the table rebuilt:
-- a rebuild would drop vms, and with it (ON DELETE CASCADE) every lease, key
-- and forward.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql, '''stopping'', ''stopped'', ''failed'')', '''stopping'', ''stopped'', ''failed'', ''paused'')')
 WHERE type = 'table' AND name = 'vms';
PRAGMA writable_schema = RESET;
-- Any DDL bumps the schema cookie, so that every other open connection reads the
-- new text too (the edit alone does not; found by the migration's test).
CREATE TABLE schema_cookie_bump (unused INTEGER);
DROP TABLE schema_cookie_bump;
)sql"},
    Migration{10, R"sql(
-- Suspend to disk (issue 19): the state 'suspended', the way migration 9 added 'paused'.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql, '''failed'', ''paused'')', '''failed'', ''paused'', ''suspended'')')
 WHERE type = 'table' AND name = 'vms';
PRAGMA writable_schema = RESET;
CREATE TABLE schema_cookie_bump (unused INTEGER);
DROP TABLE schema_cookie_bump;
)sql"},
    Migration{11, R"sql(
-- Named checkpoints (issue 19): a VM's go with its row. parent: the checkpoint
-- the VM was last restored from or taken after when this one was taken ('' for
-- none); snapshot_latest keeps that per VM, for the next checkpoint's parent.
CREATE TABLE snapshots (
  id            TEXT    NOT NULL PRIMARY KEY,
  vm_id         TEXT    NOT NULL REFERENCES vms (id) ON DELETE CASCADE,
  name          TEXT    NOT NULL,
  created_at_us INTEGER NOT NULL,
  size_bytes    INTEGER NOT NULL,
  has_memory    INTEGER NOT NULL CHECK (has_memory IN (0, 1)),
  parent        TEXT    NOT NULL DEFAULT '',
  UNIQUE (vm_id, name)
);
CREATE TABLE snapshot_latest (
  vm_id       TEXT NOT NULL PRIMARY KEY REFERENCES vms (id) ON DELETE CASCADE,
  snapshot_id TEXT NOT NULL
);
)sql"},
    Migration{12, R"sql(
-- Idle sleep (issue 19): seconds without activity after which bangerd
-- suspends a running VM; 0 (never) for every VM that existed before.
ALTER TABLE vms ADD COLUMN idle_suspend_s INTEGER NOT NULL DEFAULT 0 CHECK (idle_suspend_s >= 0);
)sql"},
};

}  // namespace

std::span<const Migration> builtin_migrations() { return migrations; }

}  // namespace banger
