#pragma once

#include <string>

namespace bangerctl {

// One self-overwriting status line on stderr: "stage [#####-----]  50%".
// Disabled (draws nothing) unless stderr is a terminal and progress is wanted.
class ProgressBar {
 public:
  explicit ProgressBar(bool wanted);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void update(const std::string& stage, double fraction);
  // Erases the line, so that later output (or an error) starts clean.
  void clear();

 private:
  bool enabled_;
  bool drawn_ = false;
};

}  // namespace bangerctl
