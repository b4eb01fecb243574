// The order bangerd runs its capabilities in (daemon/capability_order.cpp):
// the constraints its places name, so that an edit of the table that breaks
// one fails here rather than in a guest.
#include "daemon/capability_order.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace banger {
namespace {

std::size_t place_of(std::string_view name) {
  const auto order = capability_order();
  for (std::size_t i = 0; i < order.size(); ++i)
    if (order[i].name == name) return i;
  ADD_FAILURE() << "no place " << name;
  return order.size();
}

TEST(CapabilityOrder, EveryPlaceHasAUniqueNameAndSaysWhatFixesIt) {
  std::set<std::string_view> names;
  for (const auto& place : capability_order()) {
    EXPECT_TRUE(names.insert(place.name).second) << place.name;
    EXPECT_FALSE(place.why.empty()) << place.name;
    EXPECT_NE(place.of, nullptr) << place.name;
  }
}

TEST(CapabilityOrder, ThePlacesKeepTheirConstraints) {
  EXPECT_EQ(place_of("vm-directories"), 0u);
  EXPECT_LT(place_of("console-relay"), place_of("ssh-access")) << "the guest's output reaches the log first";
  EXPECT_LT(place_of("image-files"), place_of("work-disk")) << "the work disk is the second drive";
  for (auto uses_the_address : {"tap-device", "dns-names", "port-forwards"})
    EXPECT_LT(place_of("network-address"), place_of(uses_the_address)) << uses_the_address;
  for (auto before_the_ssh_wait : {"tap-device", "nat-access", "dns-names", "port-forwards"})
    EXPECT_LT(place_of(before_the_ssh_wait), place_of("ssh-access")) << before_the_ssh_wait;
  EXPECT_LT(place_of("ssh-access"), place_of("guest-ports"));
  EXPECT_LT(place_of("ssh-access"), place_of("authorized-keys"));
  const std::set<std::string_view> after_it = {"machine-registration", "logind-check", "host-checks", "extensions"};
  for (const auto& place : capability_order()) {
    if (!after_it.contains(place.name)) {
      EXPECT_LT(place_of(place.name), place_of("machine-registration")) << place.name << ": its post_start first";
    }
  }
  EXPECT_EQ(place_of("extensions"), capability_order().size() - 1) << "the build's own come last";
}

}  // namespace
}  // namespace banger
