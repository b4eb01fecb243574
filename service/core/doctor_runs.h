#pragma once
#include <exception>
#include <functional>
#include <mutex>
#include <vector>

#include "core/machine_config.h"
#include "core/worker_pool.h"

namespace banger {

// Manager.Doctor needs no authorization and its checks read the host and make
// a scratch bridge: any local user may call it a hundred times at once. The
// checks run on a thread of their own (never the bus thread, never behind VM
// operations on the shared pool), one run at a time, and every request that
// arrives while a run is under way is answered by that run. No result is kept
// afterwards: it would hide what a user just fixed (machined started, a binary
// installed).
class DoctorRuns {
 public:
  using Run = std::function<std::vector<DoctorCheck>()>;
  // Called on the runs' thread with the checks, or with what the run threw.
  using Answer = std::function<void(const std::vector<DoctorCheck>&, std::exception_ptr)>;

  explicit DoctorRuns(Run run);
  ~DoctorRuns();  // waits for a run under way; its answers are still given
  DoctorRuns(const DoctorRuns&) = delete;
  DoctorRuns& operator=(const DoctorRuns&) = delete;

  void request(Answer answer);

 private:
  void run_while_asked();

  Run run_;
  std::mutex mutex_;
  std::vector<Answer> waiting_;
  bool running_ = false;
  WorkerPool thread_{1};  // last: destroyed (joined) first
};

}  // namespace banger
