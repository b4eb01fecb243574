#pragma once
#include <string>
#include <vector>

namespace banger::disks {

// Runs a host tool (argv[0] looked up on PATH) with no stdin and waits for it.
// Throws Error(backend_failed) naming the tool and its last output lines when
// it cannot start or exits non-zero. Safe beside the exit watcher: the child is
// waited for by pid, and the watcher reaps only the VMMs it spawned.
void run_tool(const std::vector<std::string>& argv);

// What a tool wrote to `fd` until its end (the last 64 KiB).
std::string read_tool_output(int fd);
// Error(backend_failed): "<program> failed (exit status N): <its last lines>".
[[noreturn]] void fail_tool(const std::string& program, int wait_status, const std::string& output);

}  // namespace banger::disks
