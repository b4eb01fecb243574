#pragma once
#include <string>

namespace banger {

struct KvmProbeResult {
  bool usable = false;
  std::string reason;  // why KVM is (not) usable, for logs and error messages
};

// Whether KVM really runs a guest: /dev/kvm may open while every guest dies
// (nested virtualization without full support shows up as "emulation
// failure"). Runs a few real-mode instructions in a throwaway VM and expects
// an I/O exit followed by a HLT exit; anything else means "use TCG".
// `device` is /dev/kvm but for tests.
KvmProbeResult probe_kvm(const char* device = "/dev/kvm");

}  // namespace banger
