#pragma once
#include <string>
#include <utility>

// The fake Firecracker's API logic, apart from its HTTP plumbing: validates
// each request against firecracker-api.yaml and keeps the microVM's state.
namespace fakefc {

struct Reply {
  int status = 204;
  std::string body;  // JSON, empty for 204
};

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

  std::string id_;
  std::string chroot_;
  std::string log_path_;
  bool started_ = false, paused_ = false, shutdown_ = false;
  bool machine_config_ = false, boot_source_ = false, metrics_ = false;
};

}  // namespace fakefc
