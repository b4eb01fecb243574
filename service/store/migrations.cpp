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
};

}  // namespace

std::span<const Migration> builtin_migrations() { return migrations; }

}  // namespace banger
