#!/usr/bin/env bash
# Builds banger and runs every meson test, then prints one summary line.
#
#   tests/run-tests.sh [BUILD_DIR]     (default: ./build)
#
# Configures BUILD_DIR when it is not a meson build dir yet, builds with at most
# $BANGER_JOBS jobs (default 2), runs `meson test` one test at a time with each
# gtest binary writing a JSON report to BUILD_DIR/gtest-json/, and sums the
# reports with tests/summarize_gtest.py. The LAST line of output is exactly
# "N passed, N failed", plus ", N skipped" when some were skipped (the bus
# tests skip unless run as root). Exits non-zero when anything failed, including
# a test binary that crashed without writing its report.
#
# Extra phases: for each name in $BANGER_EXTRA_PHASES (space-separated, e.g.
# "asan tsan fuzz"), tests/phases/<name>.sh SRC_DIR BUILD_DIR-<name> REPORTS_DIR runs
# after the main tests: it configures and builds its own build dir and runs `meson
# test` there, leaving gtest JSON reports and testlog.json in REPORTS_DIR
# (BUILD_DIR/phase-reports/<name>). The summary then has a subtotal line per phase
# and the grand total last. A named phase without its script is a failure.
set -uo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build}
jobs=${BANGER_JOBS:-2}

if [[ ! -f "$build/build.ninja" ]]; then
  if ! meson setup "$build" "$src"; then
    echo "meson setup failed"
    echo "0 passed, 1 failed"
    exit 1
  fi
fi
build=$(cd "$build" && pwd)

if ! meson compile -C "$build" -j "$jobs"; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

reports="$build/gtest-json"
rm -rf "$reports"
mkdir -p "$reports"
rm -f "$build/meson-logs/testlog.json"

GTEST_OUTPUT="json:$reports/" meson test -C "$build" --no-rebuild --print-errorlogs --num-processes 1
meson_status=$?

# --- extra phases (BANGER_EXTRA_PHASES) ---
phase_args=()
for phase in ${BANGER_EXTRA_PHASES:-}; do
  phase_reports="$build/phase-reports/$phase"
  rm -rf "$phase_reports"
  mkdir -p "$phase_reports"
  script="$src/tests/phases/$phase.sh"
  echo "=== phase $phase ==="
  phase_start=$(date +%s)
  if [[ -x "$script" ]]; then
    "$script" "$src" "$build-$phase" "$phase_reports"
    phase_status=$?
  else
    echo "phase $phase: $script is missing (or not executable)"
    echo "{\"name\": \"phase $phase: script missing\", \"result\": \"FAIL\", \"returncode\": 127, \"command\": [\"\"]}" \
      > "$phase_reports/testlog.json"
    phase_status=127
  fi
  echo "=== phase $phase: exit $phase_status after $(( $(date +%s) - phase_start )) s ==="
  phase_args+=(--phase "$phase" "$phase_reports" "$phase_status")
done
# --- end extra phases ---

python3 "$src/tests/summarize_gtest.py" "$reports" "$build/meson-logs/testlog.json" "${phase_args[@]}"
summary_status=$?

if (( meson_status != 0 || summary_status != 0 )); then
  exit 1
fi
exit 0
