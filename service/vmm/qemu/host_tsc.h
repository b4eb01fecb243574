#pragma once
#include <optional>

namespace banger {

// The host's TSC rate in kHz, for the guest's tsc_early_khz=: under TCG the
// kernel's calibration against the PIT (which microvm has not) can hang.
std::optional<long> host_tsc_khz();

}  // namespace banger
