#pragma once
// Files and leftovers of the bus test environments. Each environment lives in
// /tmp/banger-bus-XXXXXX (its "run dir", holding owner.pid) and installs its
// polkit files as <stem>.test-banger-bus-XXXXXX<ext>, so concurrent runs and an
// installed banger never collide. A run killed before its teardown (a meson
// timeout) is swept up by the next one.
#include <filesystem>
#include <string>
#include <vector>

namespace banger::test {

// Not $TMPDIR: the bus socket path must stay short (sun_path), and every run
// must agree where to look when it sweeps up after a killed one.
inline const std::filesystem::path run_base = "/tmp";
inline constexpr const char* run_prefix = "banger-bus-";

std::string read_file(const std::filesystem::path& p);
// Atomically (write + rename): readers see the old or the new file, never half.
void write_file(const std::filesystem::path& p, const std::string& text,
                std::filesystem::perms perms = std::filesystem::perms(0644));

// Creates this process's run dir (0755, owner.pid inside).
std::filesystem::path make_run_dir();

// Installs the project's polkit action and rules files and the test-only rules
// under names tagged with `run_dir`; returns what to remove at teardown.
std::vector<std::filesystem::path> install_polkit_files(const std::filesystem::path& source_root,
                                                        const std::filesystem::path& run_dir);

// Removes other run dirs whose owner process is gone: SIGKILLs every process
// still mentioning them (bangerd, polkitd, dbus-daemon, VMM placeholders) and
// removes their polkit files and the dir itself.
void sweep_stale_runs(const std::filesystem::path& own_run_dir);

}  // namespace banger::test
