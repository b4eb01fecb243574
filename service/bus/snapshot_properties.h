#pragma once
// dev.banger.banger1.Snapshot's properties: one line each, in the XML's order.

#include "banger/object_path.h"
#include "bus/property_table.h"
#include "core/snapshot.h"
#include "dev.banger.banger1.Snapshot_properties.h"

namespace banger::properties::Snapshot {

inline constexpr auto table = property_table<SnapshotRecord>(
    line<Id>([](const SnapshotRecord& s) -> auto& { return s.id; }),
    line<Name>([](const SnapshotRecord& s) -> auto& { return s.name; }),
    line<VM>([](const SnapshotRecord& s) { return sdbus::ObjectPath(bus::vm_path(s.vm_id)); }),
    line<CreatedAt>([](const SnapshotRecord& s) { return s.created_at_us; }),
    line<SizeBytes>([](const SnapshotRecord& s) { return s.size_bytes; }),
    line<HasMemory>([](const SnapshotRecord& s) { return s.has_memory; }),
    line<Parent>([](const SnapshotRecord& s) {
      return sdbus::ObjectPath(s.parent.empty() ? std::string("/") : bus::snapshot_path(s.vm_id, s.parent));
    }));

static_assert(covers_exactly<decltype(table), All>, "one line per property of the Snapshot XML, in its order");

}  // namespace banger::properties::Snapshot
