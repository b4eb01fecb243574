#pragma once
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "capabilities/ssh_access.h"
#include "core/errors.h"
#include "error_kind.h"
#include "core/vm_attachment.h"

namespace banger::testing {

// VmAttachments that knows one answer for every VM.
struct FixedAttachments : VmAttachments {
  std::optional<VmAttachment> attachment;
  std::optional<VmAttachment> attachment_of(const VmRecord&) override { return attachment; }
  std::vector<DnsEntry> dns_entries(const std::string&) override { return {}; }
};

inline VmAttachment attached_at(const std::string& address) {
  VmAttachment a;
  a.network.name = "default";
  a.address = address;
  a.dns_name = "web.banger";
  return a;
}

// A temporary directory of the test's own.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& what)
      : path(std::filesystem::temp_directory_path() /
             ("banger-" + what + "-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

inline std::string read_text(const std::filesystem::path& file) {
  std::ostringstream text;
  text << std::ifstream(file).rdbuf();
  return text.str();
}

// Runs a /bin/sh command line; its stdout, or nullopt when it failed.
inline std::optional<std::string> shell_output(const std::string& command, const std::filesystem::path& scratch) {
  const auto out = scratch / "shell-output";
  if (std::system((command + " >'" + out.string() + "'").c_str()) != 0) return std::nullopt;
  return read_text(out);
}

inline std::string backend_failure_of(const std::function<void()>& f) {
  return error_message_of(ErrorKind::backend_failed, f);
}

inline std::chrono::milliseconds elapsed_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

}  // namespace banger::testing
