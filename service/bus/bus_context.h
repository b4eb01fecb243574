#pragma once
#include <filesystem>
#include <vector>

#include "core/options.h"

namespace sdbus {
class IConnection;
}

namespace banger {

class Authorizer;
class ConsoleLogs;
class ConsoleService;
class EventLoop;
class ForwardsService;
class GuestKeysService;
class ImageManager;
class NetworkManager;
class ObjectRegistry;
class VmManager;
class WorkerPool;
class WorkspaceService;

// What every bus object needs, wired once by the daemon's composition root.
struct BusContext {
  sdbus::IConnection& connection;
  EventLoop& loop;
  WorkerPool& pool;
  Authorizer& authorizer;
  VmManager& vms;
  ObjectRegistry& registry;
  ImageManager& images;
  NetworkManager& networks;
  CreateDefaults defaults;
  HostLimits limits;
  const ConsoleLogs& consoles;
  // The VM verbs beyond the lifecycle (core/vm_guest_services.h): always
  // there; one this bangerd cannot do answers NotSupported once authorized.
  GuestKeysService& keys;
  ForwardsService& forwards;
  ConsoleService& console;
  WorkspaceService& workspaces;
  // bangerd's state and runtime directories: ImportImage reads nothing from there (issue 17).
  std::vector<std::filesystem::path> import_off_limits = {};
};

}  // namespace banger
