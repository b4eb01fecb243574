#pragma once
#include <filesystem>
#include <functional>
#include <string>

#include "core/machine_config.h"

namespace banger::doctor {

// Whether the kernel makes Linux bridges (each network is one), asked of the
// kernel itself rather than of module files, which say nothing where the
// bridge is built in: a bridge that already exists (<sys_class_net>/<link>/bridge)
// settles it; else `make_scratch_bridge` makes one and deletes it, returning
// where it did so, or throwing the kernel's refusal.
DoctorCheck bridge_check(const std::filesystem::path& sys_class_net,
                         const std::function<std::string()>& make_scratch_bridge);

// Makes a bridge and deletes it at once: in a network namespace of its own
// (nothing of the host's is touched) where the process may make one, else in
// the host's namespace under a name of its own. Returns where it made it;
// throws banger::Error with the kernel's reason.
std::string make_scratch_bridge();

// The bridge and its deletion in the calling thread's network namespace.
void make_and_delete_bridge(const std::string& name);

}  // namespace banger::doctor
