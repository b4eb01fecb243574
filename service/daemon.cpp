// bangerd's main: the command line, then serve(), which builds the daemon's
// layers in order (daemon/), recovers, exports and runs.
#include "daemon.h"

#include "host/journal.h"
#include "daemon_parts.h"

#include <signal.h>

#include <CLI/CLI.hpp>
#include <sdbus-c++/sdbus-c++.h>

#include "banger_build_config.h"
#include "core/log.h"
#include "core/start_up_recovery.h"
#include "daemon/daemon_layers.h"
#include "daemon/exported_objects.h"
#include "daemon/recovery_parts.h"
#include "daemon/run.h"

namespace banger {

namespace {

struct CommandLine {
  std::optional<std::filesystem::path> config;
  std::optional<std::filesystem::path> state_dir;
  std::optional<std::filesystem::path> runtime_dir;
};

// Each layer is made from the ones before it and torn down in reverse.
int serve(const Config& config, DaemonExtensions& extensions) {
  VmmBackends backends = make_backends(config, extensions);
  log_unavailable_backends(backends);
  Storage storage(config);
  DaemonBus bus(config);
  DaemonNetworks networks(config, extensions, storage, bus);  // VM recovery and capabilities need the bridges
  HostServices host(config, bus, networks);
  CapabilitySet capabilities({config, extensions, backends, storage, bus, networks, host});
  Managers managers(config, backends, storage, bus, host, capabilities);
  const DaemonLayers layers{config, extensions, backends, storage, bus, networks, host, capabilities, managers};

  const auto recovered =
      recover_at_start_up(managers.vms, managers.images, recovery_parts(config, capabilities, managers));
  ExportedObjects exported(layers, recovered);
  return run_until_stopped(layers, exported);
}

}  // namespace

int run_daemon(int argc, char** argv, DaemonExtensions extensions) {
  // Before any thread starts, so every thread inherits it and the event loop's
  // signalfd is the only receiver.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  // The exit watcher's signalfd is the only receiver of SIGCHLD.
  sigaddset(&stop_signals, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  log::use_journal(&host::send_to_journal);  // when stderr is the journal's stream

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
