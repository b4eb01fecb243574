#include "daemon.h"

#include <signal.h>
#include <sys/stat.h>

#include <condition_variable>
#include <cstdio>
#include <thread>

#include <CLI/CLI.hpp>
#include <sdbus-c++/sdbus-c++.h>

#include "banger/bus_names.h"
#include "banger_build_config.h"
#include "bus/authorizer.h"
#include "bus/event_loop.h"
#include "bus/managed_objects.h"
#include "bus/manager_object.h"
#include "bus/object_registry.h"
#include "capabilities/image_files.h"
#include "capabilities/vm_directories.h"
#include "core/capabilities.h"
#include "core/errors.h"
#include "core/image_manager.h"
#include "core/log.h"
#include "core/vm_manager.h"
#include "core/worker_pool.h"
#include "store/sqlite_store.h"

namespace banger {

namespace {

struct CommandLine {
  std::optional<std::filesystem::path> config;
  std::optional<std::filesystem::path> state_dir;
  std::optional<std::filesystem::path> runtime_dir;
};

void make_dir(const std::filesystem::path& dir, std::filesystem::perms perms) {
  std::filesystem::create_directories(dir);
  std::filesystem::permissions(dir, perms);
}

// Checks running VMs for a VMM that exited on its own, every `interval`.
class Reaper {
 public:
  Reaper(VmManager& vms, std::chrono::milliseconds interval)
      : thread_([this, &vms, interval] {
          std::unique_lock lock(mutex_);
          while (!wake_.wait_for(lock, interval, [this] { return stop_; })) {
            lock.unlock();
            try {
              vms.reap_exited();
            } catch (const std::exception& e) {  // e.g. the store is briefly unreadable: try again next round
              log::warn("checking running VMs: {}", e.what());
            }
            lock.lock();
          }
        }) {}
  ~Reaper() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

// "auto": Firecracker is the primary backend, but most distributions do not ship
// it; QEMU's microvm boots the default image anywhere.
std::string chosen_backend(const Config& config) {
  if (config.backend != "auto") return config.backend;
  return std::filesystem::exists(config.firecracker.binary) ? "firecracker" : "qemu";
}

int serve(const Config& config, DaemonExtensions& extensions) {
  const std::string backend_name = chosen_backend(config);
  auto factory = extensions.backends.find(backend_name);
  if (factory == extensions.backends.end()) {
    std::string known;
    for (const auto& [name, f] : extensions.backends) known += (known.empty() ? "" : ", ") + name;
    log::error("VMM backend '{}' is not available in this build (available: {})", backend_name,
               known.empty() ? "none" : known);
    return 1;
  }
  auto backend = factory->second(config);

  make_dir(config.state_dir, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                 std::filesystem::perms::group_exec);
  make_dir(config.runtime_dir, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                   std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                                   std::filesystem::perms::others_exec);

  SqliteStore store(config.state_dir / "banger.db");
  std::vector<std::shared_ptr<Capability>> capability_list{
      std::make_shared<VmDirectories>(config.state_dir, config.runtime_dir)};
  if (!backend->kernel_file().empty())
    capability_list.push_back(
        std::make_shared<ImageFiles>(store, config.state_dir, std::string(backend->kernel_file())));
  for (auto& make : extensions.capabilities) capability_list.push_back(make(config));
  Capabilities capabilities(std::move(capability_list));

  auto connection = sdbus::createSystemBusConnection();
  EventLoop loop(*connection);
  ObjectRegistry registry(loop, config.operation_linger);
  VmManager vms({store, *backend, capabilities, registry},
                {config.lock_timeout, std::chrono::duration_cast<std::chrono::milliseconds>(config.stop_timeout),
                 config.runtime_dir});
  vms.recover();
  ImageManager images({store, registry}, config.state_dir);
  images.recover();

  Authorizer authorizer(*connection, config.polkit);
  auto pool = std::make_unique<WorkerPool>(config.workers);
  BusContext ctx{*connection, loop, *pool, authorizer, vms, registry, images,
                 CreateDefaults{config.default_vcpus, config.default_memory_mib, config.default_image},
                 probe_host_limits()};
  ManagerObject manager(ctx);
  ManagedObjectsResponder managed_objects(*connection, registry);
  registry.load(ctx, vms.list(), images.list());
  // Take the name last, so no client ever sees a half-exported service.
  connection->requestName(bus::service_name);
  log::info("bangerd {} ready (backend {}, state {}, {} VMs)", BANGER_VERSION, backend_name,
            config.state_dir.string(), registry.records().size());

  {
    Reaper reaper(vms, config.status_poll);
    loop.run();
  }
  connection->releaseName(bus::service_name);
  pool.reset();  // finish running jobs while the objects they report to still exist
  registry.unload();
  log::info("bangerd stopped; running VMs keep running");
  return 0;
}

}  // namespace

int run_daemon(int argc, char** argv, DaemonExtensions extensions) {
  // Before any thread starts, so every thread inherits it and the event loop's
  // signalfd is the only receiver.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  CLI::App app{"bangerd: the banger microVM service (D-Bus name dev.banger.banger1)", "bangerd"};
  CommandLine cli;
  app.add_option("--config", cli.config, "TOML config file (default " BANGER_DEFAULT_CONFIG ", if present)");
  app.add_option("--state-dir", cli.state_dir, "state directory (overrides the config)");
  app.add_option("--runtime-dir", cli.runtime_dir, "runtime directory (overrides the config)");
  app.set_version_flag("--version", BANGER_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    Config config = load_config(cli.config);
    if (cli.state_dir) config.state_dir = *cli.state_dir;
    if (cli.runtime_dir) config.runtime_dir = *cli.runtime_dir;
    return serve(config, extensions);
  } catch (const ConfigError& e) {
    log::error("bad configuration: {}", e.what());
    return 2;
  } catch (const sdbus::Error& e) {
    log::error("D-Bus: {}: {}", e.getName(), e.getMessage());
    return 1;
  } catch (const std::exception& e) {
    log::error("{}", e.what());
    return 1;
  }
}

}  // namespace banger
