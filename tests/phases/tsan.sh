#!/usr/bin/env bash
# Phase "tsan": the concurrency tests (meson suite 'concurrency') on a ThreadSanitizer
# build (gcc). Only what that suite needs is built: the tests, bangerd-test, bangerctl
# and bus-probe, all instrumented.
#
#   tests/phases/tsan.sh SRC_DIR PHASE_BUILD_DIR REPORTS_DIR
#
# Every process writes its reports to REPORTS_DIR/sanitizer/tsan.<pid>; any such file is a
# failure (bangerd-test's reports too, which no test reads). Suppressions (tsan.supp) name
# third-party frames only.
set -uo pipefail

src=$1 build=$2 reports=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/phase_lib.sh"
jobs=${BANGER_JOBS:-2}

log_dir="$reports/sanitizer"
mkdir -p "$log_dir"
chmod 1777 "$log_dir"  # bus tests run clients as the test users

# -O1: TSan's usual level; faster to build than -O2 and its stacks stay readable.
# -g1: line tables only, as in asan.sh: reports (and the watchdog's gdb backtraces) keep
# function, file and line; ~1/4 less compile time.
if ! phase_setup "$src" "$build" -Db_sanitize=thread -Db_lundef=false -Doptimization=1 -Dcpp_args=-g1; then
  phase_fail "$reports" "tsan: meson setup failed"
  exit 1
fi

# The targets suite 'concurrency' runs and depends on, from meson's introspection.
mapfile -t targets < <(python3 - "$build" <<'PY'
import json, os, subprocess, sys
build = sys.argv[1]
def introspect(what):
    return json.loads(subprocess.check_output(["meson", "introspect", build, what]))
files = {t["id"]: t["filename"] for t in introspect("--targets")}
wanted = set()
for test in introspect("--tests"):
    if not any(s.split(":")[-1] == "concurrency" for s in test.get("suite", [])):
        continue
    wanted.add(test["cmd"][0])
    for dep in test.get("depends", []):
        wanted.update(files.get(dep, []))
for path in sorted(wanted):
    if os.path.isabs(path) and path.startswith(os.path.abspath(build) + "/"):
        print(os.path.relpath(path, build))
PY
)
start=$(date +%s)
if (( ${#targets[@]} == 0 )) || ! ninja -C "$build" -j "$jobs" "${targets[@]}"; then
  phase_fail "$reports" "tsan: build failed"
  exit 1
fi
echo "== tsan phase build: $(( $(date +%s) - start )) s"

export TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1:history_size=4:log_path=$log_dir/tsan:suppressions=$here/tsan.supp"
start=$(date +%s)
phase_meson_test "$build" "$reports" --suite concurrency
test_status=$?
echo "== tsan phase tests: $(( $(date +%s) - start )) s"

phase_sanitizer_reports "$reports" "$log_dir" tsan; tsan_status=$?
(( test_status == 0 && tsan_status == 0 ))
