#include "capabilities/work_disk.h"
#include "host_extensions.h"

// The installed bangerd plus the work disk, for bus-guest-work-disk, until
// daemon.cpp wires WorkDisk in itself; then this file goes and the suite runs
// bangerd itself.
int main(int argc, char** argv) {
  auto extensions = banger::host_extensions();
  extensions.capabilities.push_back(
      [](const banger::Config& c) { return std::make_shared<banger::WorkDisk>(c.state_dir); });
  return banger::run_daemon(argc, argv, std::move(extensions));
}
