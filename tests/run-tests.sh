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
#
# Durations: a line "== phase NAME: N s" as each part ends (main build, main tests, package
# test, each extra phase), and all of them again, with the total and the compiler cache's
# hits when ccache is there, just before the summary. $BANGER_CI_START (epoch seconds) makes
# the total count from there, and $BANGER_CI_APT_SECONDS adds an "apt install" line (.ci/run
# sets both).
set -uo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build}
jobs=${BANGER_JOBS:-2}

run_start=${BANGER_CI_START:-$(date +%s)}
phase_lines=()
if [[ -n ${BANGER_CI_APT_SECONDS:-} ]]; then
  phase_lines+=("== phase apt install: $BANGER_CI_APT_SECONDS s")
fi
# note_phase NAME SECONDS: prints the duration line now and keeps it for the recap.
note_phase() {
  phase_lines+=("== phase $1: $2 s")
  echo "== phase $1: $2 s"
}
ccache_start=""
if command -v ccache >/dev/null; then
  ccache_start=$(ccache --print-stats 2>/dev/null)
fi

step_start=$(date +%s)
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
note_phase "main build" $(( $(date +%s) - step_start ))

reports="$build/gtest-json"
rm -rf "$reports"
mkdir -p "$reports"
rm -f "$build/meson-logs/testlog.json"

step_start=$(date +%s)
GTEST_OUTPUT="json:$reports/" meson test -C "$build" --no-rebuild --print-errorlogs --num-processes 1
meson_status=$?
# The package smoke test (a second, release build of the whole tree) is one of these tests;
# its own line comes from its duration in meson's log.
tests_seconds=$(( $(date +%s) - step_start ))
package_seconds=$(python3 - "$build/meson-logs/testlog.json" <<'PY'
import json, sys
try:
    for line in open(sys.argv[1], encoding="utf-8"):
        test = json.loads(line)
        if test.get("name", "").split(" / ")[-1] == "package-smoke" and test.get("result") != "SKIP":
            print(round(test.get("duration", 0)))
except OSError:
    pass
PY
)
if [[ -n $package_seconds ]]; then
  note_phase "main tests" $(( tests_seconds - package_seconds ))
  note_phase "package test" "$package_seconds"
else
  note_phase "main tests" "$tests_seconds"
fi

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
  note_phase "$phase" $(( $(date +%s) - phase_start ))
  phase_args+=(--phase "$phase" "$phase_reports" "$phase_status")
done
# --- end extra phases ---

# --- durations and compiler cache, then the summary (its last line stays the last line) ---
if [[ -n $ccache_start ]]; then
  echo "=== ccache (this run; other builds sharing the cache meanwhile count too) ==="
  python3 - <(echo "$ccache_start") <(ccache --print-stats 2>/dev/null) <<'PY'
import sys
def read(path):
    stats = {}
    for line in open(path):
        key, _, value = line.strip().partition("\t")
        if value.isdigit():
            stats[key] = int(value)
    return stats
before, after = read(sys.argv[1]), read(sys.argv[2])
delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
hits = delta.get("direct_cache_hit", 0) + delta.get("preprocessed_cache_hit", 0)
misses = delta.get("cache_miss", 0)
total = hits + misses
print(f"ccache: {hits} hits ({delta.get('direct_cache_hit', 0)} direct), {misses} misses"
      + (f", {100 * hits / total:.1f}% hit rate" if total else "")
      + f"; cache size {after.get('cache_size_kibibyte', 0) // 1024} MiB")
PY
  ccache -s
fi
echo "=== durations ==="
for line in "${phase_lines[@]}"; do echo "$line"; done
echo "== phase total: $(( $(date +%s) - run_start )) s"

python3 "$src/tests/summarize_gtest.py" "$reports" "$build/meson-logs/testlog.json" "${phase_args[@]}"
summary_status=$?

if (( meson_status != 0 || summary_status != 0 )); then
  exit 1
fi
exit 0
