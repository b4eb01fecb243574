#pragma once
// Images for the bus tests: ImportImage with file descriptors of stand-in
// files (image_stand_ins.h).
#include <fcntl.h>

#include <filesystem>
#include <string>
#include <utility>

#include <gtest/gtest.h>
#include <sdbus-c++/sdbus-c++.h>

#include "banger/bus_names.h"
#include "bus_client.h"
#include "image_stand_ins.h"

namespace banger::test {

using banger::testing::write_stand_in_image;

inline sdbus::Variant fd_variant(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0) << file;
  return sdbus::Variant(sdbus::UnixFd(fd, sdbus::adopt_fd));
}

// Manager.ImportImage → (image path, operation path).
inline std::pair<std::string, std::string> import_image(sdbus::IProxy& manager, const std::string& name,
                                                        const Options& parts) {
  sdbus::ObjectPath image, op;
  manager.callMethod("ImportImage")
      .onInterface(banger::bus::manager_interface)
      .withArguments(name, parts)
      .storeResultsTo(image, op);
  return {image, op};
}

// Imports and waits until the Operation finished; returns the image path.
inline std::string import_image_ready(sdbus::IProxy& manager, SignalRecorder& recorder, const std::string& name,
                                      const Options& parts) {
  auto [image, op] = import_image(manager, name, parts);
  auto finished = recorder.wait_for([&](const Signal& s) { return s.path == op && s.member == "Finished"; });
  EXPECT_TRUE(finished && finished->success) << (finished ? finished->args.at(0) : "no Finished signal");
  return image;
}

}  // namespace banger::test
