#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

// The fake Firecracker's API logic, apart from its HTTP plumbing: validates
// each request against firecracker-api.yaml and keeps the microVM's state.
namespace fakefc {

struct Reply {
  int status = 204;
  std::string body;  // JSON, empty for 204
};

// The one version this fake is, wherever it is asked (GET /, GET /version,
// --version, and in the snapshots it writes).
constexpr const char* version = "1.17.0-fake";

// 400 with {"fault_message": message}, as every Firecracker error.
Reply fault(const std::string& message);

class Vmm {
 public:
  // chroot: non-empty when run by the fake jailer; every path in a request
  // must then be absolute and name a file inside it, as in the real chroot.
  explicit Vmm(std::string id, std::string chroot = {}) : id_(std::move(id)), chroot_(std::move(chroot)) {}
  Reply handle(const std::string& method, const std::string& path, const std::string& body);
  bool shutdown_requested() const { return shutdown_; }
  // The logger's file (PUT /logger log_path, on the host), empty until configured.
  const std::string& log_path() const { return log_path_; }

 private:
  std::string action(const std::string& type);
  std::string missing_file(const std::string& what, const std::string& path) const;
  std::string create_snapshot(const nlohmann::json& body);
  std::string load_snapshot(const nlohmann::json& body);
  // The simulated guest writes to its memory (InstanceStart, each resume).
  void guest_writes(int pages);

  std::string id_;
  std::string chroot_;
  std::string log_path_;
  bool started_ = false, paused_ = false, shutdown_ = false;
  bool machine_config_ = false, boot_source_ = false, metrics_ = false;
  bool loaded_ = false;  // PUT /snapshot/load succeeded: only once, on a fresh VMM
  // What a snapshot records besides memory: the machine as configured.
  nlohmann::json machine_config_body_, drives_ = nlohmann::json::object(), interfaces_ = nlohmann::json::object();
  bool track_dirty_pages_ = false;
  // Guest memory: the non-zero pages (index -> the value the page is filled
  // with), and those written since the last snapshot (what a Diff holds).
  std::map<std::uint64_t, std::uint64_t> pages_;
  std::map<std::uint64_t, std::uint64_t> dirty_;
  std::uint64_t writes_ = 0;
};

}  // namespace fakefc
