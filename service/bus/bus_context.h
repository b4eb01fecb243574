#pragma once
#include <filesystem>
#include <vector>

#include "core/options.h"

namespace sdbus {
class IConnection;
}

namespace banger {

class AuthorizedKeys;
class Authorizer;
class ConsoleLogs;
class ConsoleRelayCapability;
class EventLoop;
class ImageManager;
class NetworkManager;
class ObjectRegistry;
class PortForwards;
class VmManager;
class WorkerPool;
class TransferSlots;
class Workspaces;

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
  Workspaces* workspaces = nullptr;  // none: PushWorkspace and PullWorkspace are not supported
  // With workspaces: the transfers' own threads (as many as slots), so stuck
  // callers never hold the shared pool's workers (every other mutation).
  TransferSlots* transfer_slots = nullptr;
  WorkerPool* transfer_threads = nullptr;
  AuthorizedKeys* authorized_keys = nullptr;  // none: AddAuthorizedKeys and RemoveAuthorizedKeys are not supported
  PortForwards* forwards = nullptr;  // none (no host networking): ForwardPort and RemoveForward are not supported
  const ConsoleRelayCapability* console_relay = nullptr;  // none: OpenConsole is not supported
  // bangerd's state and runtime directories: ImportImage reads nothing from there (issue 17).
  std::vector<std::filesystem::path> import_off_limits = {};
};

}  // namespace banger
