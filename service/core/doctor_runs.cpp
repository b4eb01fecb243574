#include "core/doctor_runs.h"

namespace banger {

DoctorRuns::DoctorRuns(Run run) : run_(std::move(run)) {}

DoctorRuns::~DoctorRuns() = default;

void DoctorRuns::request(Answer answer) {
  {
    std::lock_guard lock(mutex_);
    waiting_.push_back(std::move(answer));
    if (running_) return;  // the run under way answers it
    running_ = true;
  }
  thread_.submit([this] { run_while_asked(); });
}

void DoctorRuns::run_while_asked() {
  for (;;) {
    std::vector<DoctorCheck> checks;
    std::exception_ptr error;
    try {
      checks = run_();
    } catch (...) {
      error = std::current_exception();
    }
    std::vector<Answer> asked;
    {
      std::lock_guard lock(mutex_);
      asked.swap(waiting_);
    }
    for (auto& answer : asked) answer(checks, error);
    std::lock_guard lock(mutex_);
    // Requests that came after the swap wait for a run of their own.
    if (waiting_.empty()) {
      running_ = false;
      return;
    }
  }
}

}  // namespace banger
