#include "bus/network_object.h"

#include "banger/bus_names.h"
#include "bus/live_object.h"
#include "bus/removal_signal.h"
#include "banger/object_path.h"
#include "bus/request.h"
#include "core/network_manager.h"

namespace banger {

NetworkObject::NetworkObject(BusContext& ctx, NetworkRecord network)
    : AdaptorInterfaces(ctx.connection, bus::network_path(network.name)), ctx_(ctx), network_(std::move(network)) {
  registerAdaptor();
  getObject().emitInterfacesAddedSignal();
}

NetworkObject::~NetworkObject() { unregisterAdaptor(); }

void NetworkObject::announce_removal() { announce_removed(getObject()); }

void NetworkObject::update(const NetworkRecord& network) {
  const auto changed = properties::Network::table.changed(network_, network);
  network_ = network;
  if (!changed.empty()) getObject().emitPropertiesChangedSignal(bus::network_interface, changed);
}

void NetworkObject::remove(sdbus::Result<>&& result, const Caller& caller) {
  authorize_and_run(ctx_, std::move(result), caller, bus::action::manage_networks,
                    {{"network", network_.name}, {"verb", "delete"}},
                    [&networks = ctx_.networks, name = network_.name] {
                      networks.remove(name);
                      return std::tuple<>();
                    },
                    alive_or_gone(*this, ErrorKind::no_such_network));
}

void NetworkObject::SetNAT(sdbus::Result<>&& result, bool nat) {
  authorize_and_run(ctx_, std::move(result), caller_of(*getObject().getCurrentlyProcessedMessage()),
                    bus::action::manage_networks,
                    {{"network", network_.name}, {"verb", "set-nat"}, {"nat", nat ? "true" : "false"}},
                    [&networks = ctx_.networks, name = network_.name, nat] {
                      networks.set_nat(name, nat);
                      return std::tuple<>();
                    },
                    alive_or_gone(*this, ErrorKind::no_such_network));
}

void NetworkObject::Delete(sdbus::Result<>&& result) {
  remove(std::move(result), caller_of(*getObject().getCurrentlyProcessedMessage()));
}

}  // namespace banger
