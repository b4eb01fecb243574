#include "core/periodic_task.h"

namespace banger {

PeriodicTask::PeriodicTask(std::chrono::milliseconds interval, std::function<void()> task)
    : thread_([this, interval, task = std::move(task)] {
        std::unique_lock lock(mutex_);
        while (!wake_.wait_for(lock, interval, [this] { return stop_; })) {
          lock.unlock();
          task();
          lock.lock();
        }
      }) {}

PeriodicTask::~PeriodicTask() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

}  // namespace banger
