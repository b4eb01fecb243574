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

python3 "$src/tests/summarize_gtest.py" "$reports" "$build/meson-logs/testlog.json"
summary_status=$?

if (( meson_status != 0 || summary_status != 0 )); then
  exit 1
fi
exit 0
