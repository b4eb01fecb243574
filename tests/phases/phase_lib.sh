# Shared by the phase scripts (tests/phases/<name>.sh SRC_DIR PHASE_BUILD_DIR REPORTS_DIR);
# sourced, not run. The contract with tests/run-tests.sh: a phase builds its own build
# dir, runs `meson test` there with each gtest binary writing its JSON report into
# REPORTS_DIR, and leaves meson's testlog.json in REPORTS_DIR/testlog.json.

# phase_setup SRC BUILD [meson setup args...]: configures BUILD once; on a later run
# applies the args again so a changed option takes effect.
phase_setup() {
  local src=$1 build=$2
  shift 2
  if [[ -f "$build/build.ninja" ]]; then
    meson configure "$build" "$@" >/dev/null
  else
    meson setup "$build" "$src" "$@"
  fi
}

# phase_fail REPORTS MESSAGE: records a failure the summary counts (a phase that could
# not build has no test to fail otherwise).
phase_fail() {
  local reports=$1 message=$2
  echo "$message"
  python3 - "$reports/testlog.json" "$message" <<'PY'
import json, sys
with open(sys.argv[1], "a", encoding="utf-8") as f:
    f.write(json.dumps({"name": sys.argv[2], "result": "FAIL", "returncode": 1, "command": [""]}) + "\n")
PY
}

# phase_meson_test BUILD REPORTS [meson test args...]: runs the tests one at a time with
# gtest JSON reports, then copies meson's testlog.json into REPORTS.
phase_meson_test() {
  local build=$1 reports=$2
  shift 2
  rm -f "$build/meson-logs/testlog.json"
  GTEST_OUTPUT="json:$reports/" meson test -C "$build" --no-rebuild --print-errorlogs \
    --num-processes 1 "$@"
  local status=$?
  if [[ -f "$build/meson-logs/testlog.json" ]]; then
    cat "$build/meson-logs/testlog.json" >> "$reports/testlog.json"
  fi
  return $status
}

# phase_sanitizer_reports REPORTS LOG_DIR KIND: every report a sanitizer wrote into
# LOG_DIR (log_path=LOG_DIR/KIND) is printed and counted as one failure, so a report
# from a child process (bangerd, bangerctl, the console relay) fails the phase even
# when the test that spawned it tolerated the child's exit.
phase_sanitizer_reports() {
  local reports=$1 log_dir=$2 kind=$3
  local found=0 file
  for file in "$log_dir/$kind".*; do
    [[ -s "$file" ]] || continue
    found=$((found + 1))
    echo "=== sanitizer report $file ==="
    head -n 60 "$file"
    phase_fail "$reports" "$kind report $(basename "$file")"
  done
  echo "$kind reports: $found"
  (( found == 0 ))
}
