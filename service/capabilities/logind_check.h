#pragma once
#include "core/capability.h"
#include "core/login_manager.h"

namespace banger {

// Manager.Doctor's line about logind (issue 16): without it bangerd holds no
// inhibitor lock, so the host sleeps or shuts down under running VMs.
class LogindCheck final : public Capability {
 public:
  explicit LogindCheck(LoginManager& logind) : logind_(logind) {}
  std::string_view name() const override { return "logind-check"; }
  void add_doctor_checks(std::vector<DoctorCheck>& checks) override {
    const auto why = logind_.unavailable();
    if (why.empty())
      checks.push_back({"logind", "ok", "VMs are paused over host sleep and stopped before shutdown", "", ""});
    else
      checks.push_back({"logind", "warn", "host sleep and shutdown do not wait for running VMs", why,
                        "optional: run systemd-logind"});
  }

 private:
  LoginManager& logind_;
};

}  // namespace banger
