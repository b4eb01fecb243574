#pragma once
// dev.banger.banger1.Network's properties: one line each, in the XML's order.

#include "bus/property_table.h"
#include "core/network.h"
#include "dev.banger.banger1.Network_properties.h"

namespace banger::properties::Network {

inline constexpr auto table = property_table<NetworkRecord>(
    line<Name>([](const NetworkRecord& n) -> auto& { return n.name; }),
    line<Bridge>([](const NetworkRecord& n) -> auto& { return n.bridge; }),
    line<Subnet>([](const NetworkRecord& n) -> auto& { return n.subnet; }),
    line<Gateway>([](const NetworkRecord& n) -> auto& { return n.gateway; }),
    line<NAT>([](const NetworkRecord& n) { return n.nat; }),
    line<DNSDomain>([](const NetworkRecord& n) -> auto& { return n.dns_domain; }),
    line<Leases>([](const NetworkRecord& n) -> auto& { return n.leases; }));

static_assert(covers_exactly<decltype(table), All>, "one line per property of the Network XML, in its order");

}  // namespace banger::properties::Network
