#pragma once
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "core/capability.h"

namespace banger {

struct CapabilitySet;

// One place in the order Capabilities runs bangerd's capabilities in: the
// build-up hooks (provision, prepare_host, post_start …) from the first place
// to the last, cleanup from the last to the first, and Doctor's lines in this
// order too.
struct CapabilityPlace {
  std::string_view name;
  // The capabilities at this place: none when the build or the config leaves
  // them out, several for one per backend.
  std::vector<std::shared_ptr<Capability>> (*of)(const CapabilitySet& set);
  std::string_view why;  // what fixes the place
};

std::span<const CapabilityPlace> capability_order();

// The set's capabilities, place by place.
std::vector<std::shared_ptr<Capability>> in_capability_order(const CapabilitySet& set);

}  // namespace banger
