#pragma once
#include "daemon/daemon_layers.h"
#include "daemon/exported_objects.h"

namespace banger {

// The last step of bangerd: with the name taken, runs the event loop and the
// periodic tasks beside it (console caps, machined's poweroff requests, stats)
// until SIGTERM or SIGINT, starts the autostart VMs after a host boot, then
// stops in the order stop_serving gives. Returns bangerd's exit status.
int run_until_stopped(const DaemonLayers& layers, ExportedObjects& exported);

// After the event loop: ends what could still report to the objects, lets the
// running jobs finish while those objects exist, and unexports them. Running
// VMs keep running.
void stop_serving(const DaemonLayers& layers, ExportedObjects& exported);

}  // namespace banger
