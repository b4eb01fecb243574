#include "progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace bangerctl {

namespace {
constexpr int bar_width = 30;
constexpr std::size_t stage_width = 24;  // keeps the line from wrapping
}  // namespace

ProgressBar::ProgressBar(bool wanted) : enabled_(wanted && isatty(STDERR_FILENO) == 1) {}

ProgressBar::~ProgressBar() { clear(); }

void ProgressBar::update(const std::string& stage, double fraction) {
  if (!enabled_) return;
  const int percent = static_cast<int>(std::lround(std::clamp(fraction, 0.0, 1.0) * 100));
  const int filled = percent * bar_width / 100;
  std::string label = stage.empty() ? std::string("working") : stage;
  if (label.size() > stage_width) label = label.substr(0, stage_width - 1) + "~";
  fmt::print(stderr, "\r\033[K{:<{}} [{}{}] {:3}%", label, stage_width, std::string(filled, '#'),
             std::string(bar_width - filled, '-'), percent);
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::clear() {
  if (!drawn_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace bangerctl
