#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

namespace banger {

// The seam between the tap capability and the host: persistent tap devices on
// banger's bridges (net/taps.h over netlink in bangerd; a fake in tests).
// create is idempotent (a tap a running VMM holds stays as it is); delete of a
// missing tap is fine. Failures throw Error(backend_failed | invalid_args).
class HostTaps {
 public:
  virtual ~HostTaps() = default;
  virtual void create(const std::string& tap, uid_t owner, const std::string& bridge) = 0;
  virtual void remove(const std::string& tap) = 0;
  virtual std::vector<std::string> list() = 0;  // banger's taps only
};

}  // namespace banger
