#!/bin/sh
# Test phase "fuzz" (tests/run-tests.sh, $BANGER_EXTRA_PHASES): builds the
# libFuzzer targets of tests/fuzz with clang in PHASE_BUILD_DIR and runs meson
# suite 'fuzz', each target for $BANGER_FUZZ_SECONDS (default 20). Reports go
# to REPORTS_DIR (testlog.json, and each target's crash/leak inputs if any).
# Last line: "fuzz executions: N over T targets".
set -eu
if [ $# -ne 3 ]; then
  echo "usage: $0 SRC_DIR PHASE_BUILD_DIR REPORTS_DIR" >&2
  exit 2
fi
src=$1
build=$2
reports=$3
mkdir -p "$reports"
reports=$(cd "$reports" && pwd)

if [ ! -f "$build/build.ninja" ]; then
  # meson puts ccache in front of the compilers it finds itself, not of CC/CXX: name it here.
  cc=clang cxx=clang++
  if command -v ccache >/dev/null 2>&1; then cc="ccache clang" cxx="ccache clang++"; fi
  CC=$cc CXX=$cxx meson setup "$build" "$src" -Dfuzzing=true -Dbuildtype=debugoptimized
fi
# Only the fuzz targets: the rest of the project is built by the main phase.
targets=$(cd "$build" && meson introspect --targets | python3 -c '
import json, sys
print(" ".join(t["filename"][0] for t in json.load(sys.stdin) if t["name"].startswith("fuzz_")))')
start=$(date +%s)
(cd "$build" && ninja -j"${BANGER_FUZZ_JOBS:-2}" $(for t in $targets; do realpath --relative-to=. "$t"; done))
echo "== fuzz phase build: $(( $(date +%s) - start )) s"

# Each fuzz test's meson timeout is 600 s; longer runs stretch it.
multiplier=$(( ${BANGER_FUZZ_SECONDS:-20} / 500 + 1 ))
rc=0
BANGER_FUZZ_ARTIFACTS="$reports/fuzz-artifacts" meson test -C "$build" --no-rebuild --suite fuzz --print-errorlogs \
  --timeout-multiplier "$multiplier" || rc=$?
cp "$build/meson-logs/testlog.json" "$reports/testlog.json"

# The executions count of each target, from libFuzzer's final stats in the log.
python3 - "$build/meson-logs/testlog.json" <<'PY'
import json, re, sys
total = targets = 0
for line in open(sys.argv[1]):
    test = json.loads(line)
    runs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", test.get("stdout", "") + test.get("stderr", ""))
    count = int(runs[-1]) if runs else 0
    print(f"{test['name']}: {count} executions, {test['result']}")
    total += count
    targets += 1
print(f"fuzz executions: {total} over {targets} targets")
PY
exit $rc
