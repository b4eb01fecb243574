#!/bin/bash
# Test phase "system" (tests/run-tests.sh, $BANGER_EXTRA_PHASES): the installed Debian
# package on a real systemd host, a Debian 12 root booted with systemd-nspawn
# (tests/system/run.sh). Uses the packages the main suite's package test kept in
# /var/tmp/banger-debs (BANGER_PACKAGE_TEST=1, which .ci/run sets), else builds them.
# Each check becomes one entry of REPORTS_DIR/testlog.json (OK, FAIL or SKIP), which the
# summary counts; the figures it measured are printed at the end.
# usage: system.sh SRC_DIR PHASE_BUILD_DIR REPORTS_DIR   (PHASE_BUILD_DIR is not used:
# the packages are built by dpkg-buildpackage)
set -uo pipefail
if [[ $# -ne 3 ]]; then
  echo "usage: $0 SRC_DIR PHASE_BUILD_DIR REPORTS_DIR" >&2
  exit 2
fi
src=$(cd "$1" && pwd)
reports=$3
mkdir -p "$reports"
reports=$(cd "$reports" && pwd)
# shellcheck source=phase_lib.sh
source "$src/tests/phases/phase_lib.sh"

results=$reports/system-results.tsv
: >"$results"
work=${BANGER_SYSTEM_WORK:-/var/tmp/banger-system}
# The whole phase is bounded well under CI's 90 minutes even when it must build the
# packages, the root and the image first; the booted part has its own watchdog
# (BANGER_SYSTEM_TIMEOUT) inside run.sh, which cleans up itself.
limit=${BANGER_SYSTEM_PHASE_TIMEOUT:-1800}
start=$(date +%s)
BANGER_SYSTEM_RESULTS=$results BANGER_SYSTEM_WORK=$work \
  timeout --kill-after=60 "$limit" "$src/tests/system/run.sh" "$src" 2>&1 | tee "$reports/system.log"
rc=${PIPESTATUS[0]}
elapsed=$(($(date +%s) - start))

# Last resort when run.sh itself was killed: the container it started, by its pid,
# and its root.
if [[ -f $work/nspawn.pid ]]; then
  pid=$(cat "$work/nspawn.pid")
  if kill -0 "$pid" 2>/dev/null && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == systemd-nspawn ]]; then
    echo "system: the container (nspawn pid $pid) outlived the suite: killing it"
    kill -KILL "$pid"
  fi
  rm -f "$work/nspawn.pid"
fi
if mountpoint -q "$work/root"; then umount "$work/root" 2>/dev/null || umount -l "$work/root"; fi
[[ -d $work/root ]] && rm -rf "$work/root"

# One testlog.json entry per check.
python3 - "$results" "$reports/testlog.json" <<'PY'
import json, sys
results, testlog = sys.argv[1:3]
meson = {"ok": ("OK", 0), "FAIL": ("FAIL", 1), "skip": ("SKIP", 77)}
with open(results, encoding="utf-8") as f, open(testlog, "a", encoding="utf-8") as out:
    for line in f:
        kind, name, detail = (line.rstrip("\n").split("\t") + ["", ""])[:3]
        if kind not in meson:
            continue
        result, code = meson[kind]
        out.write(json.dumps({"name": f"system: {name}", "result": result, "returncode": code,
                              "command": [""], "stdout": detail}) + "\n")
PY
echo "system figures:"
awk -F'\t' '$1 == "figure" { printf "  %s: %s\n", $2, $3 }' "$results"
echo "system phase: $(grep -c '^ok' "$results") ok, $(grep -c '^FAIL' "$results") failed, $(grep -c '^skip' "$results") skipped in ${elapsed} s"

case $rc in
  0) exit 0 ;;
  77) phase_fail "$reports" "system: could not run here (see its log)"; exit 1 ;;
  124|137) phase_fail "$reports" "system: stopped by the phase timeout after ${limit} s"; exit 1 ;;
  *) grep -q '^FAIL' "$results" || phase_fail "$reports" "system: exited $rc without a failed check"; exit 1 ;;
esac
