#pragma once
// dev.banger.banger1.Image's properties: one line each, in the XML's order.

#include "bus/property_table.h"
#include "core/image.h"
#include "dev.banger.banger1.Image_properties.h"

namespace banger::properties::Image {

inline constexpr auto table = property_table<ImageRecord>(
    line<Id>([](const ImageRecord& i) -> auto& { return i.id; }),
    line<Name>([](const ImageRecord& i) -> auto& { return i.name; }),
    line<Kernel>([](const ImageRecord& i) -> auto& { return i.kernel; }),
    line<Vmlinux>([](const ImageRecord& i) -> auto& { return i.vmlinux; }),
    line<Initrd>([](const ImageRecord& i) -> auto& { return i.initrd; }),
    line<Rootfs>([](const ImageRecord& i) -> auto& { return i.rootfs; }),
    line<Backends>([](const ImageRecord& i) { return i.backends(); }),
    line<SizeBytes>([](const ImageRecord& i) { return i.size_bytes; }),
    line<CreatedAt>([](const ImageRecord& i) { return i.created_at_us; }),
    line<IsDefault>([](const ImageRecord& i) { return i.is_default; }));

static_assert(covers_exactly<decltype(table), All>, "one line per property of the Image XML, in its order");

}  // namespace banger::properties::Image
