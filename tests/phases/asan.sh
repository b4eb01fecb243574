#!/usr/bin/env bash
# Phase "asan": the whole meson test suite on an AddressSanitizer + UndefinedBehaviorSanitizer
# build (gcc). Every binary of the build is instrumented, so the bus tests spawn a sanitized
# bangerd-test/bangerd, bangerctl and console relay.
#
#   tests/phases/asan.sh SRC_DIR PHASE_BUILD_DIR REPORTS_DIR
#
# Undefined behaviour aborts (-fno-sanitize-recover) instead of printing and going on. Each
# process writes its reports to REPORTS_DIR/sanitizer/<kind>.<pid>; any such file is a failure,
# which catches reports from daemons whose exit a test does not look at.
# The package smoke test is left out: it builds release .debs, not this build.
set -uo pipefail

src=$1 build=$2 reports=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/phase_lib.sh"
jobs=${BANGER_JOBS:-2}

log_dir="$reports/sanitizer"
mkdir -p "$log_dir"
# The bus tests run clients and daemons as the test users; they write reports here too.
chmod 1777 "$log_dir"

# -O1: ASan's usual level; faster to build than -O2 and its stacks stay readable.
# -Wno-maybe-uninitialized: the sanitizers' instrumentation makes gcc 12 warn falsely inside
# libstdc++ (std::regex's std::function moves), which -Werror would turn into a failed build.
if ! phase_setup "$src" "$build" -Db_sanitize=address,undefined -Db_lundef=false -Doptimization=1 \
     "-Dcpp_args=-fno-sanitize-recover=undefined -Wno-maybe-uninitialized" \
     -Dcpp_link_args=-fno-sanitize-recover=undefined; then
  phase_fail "$reports" "asan: meson setup failed"
  exit 1
fi
if ! meson compile -C "$build" -j "$jobs"; then
  phase_fail "$reports" "asan: build failed"
  exit 1
fi

# detect_leaks: LeakSanitizer runs at each process's exit (it needs ptrace-like access to the
# process's own threads, which root has here). Third-party leaks are suppressed in lsan.supp.
# Not strict_string_checks: it makes strndup(s, n) check strlen(s)+1 bytes, so libssh's legal
# strndup of a key blob without a NUL (ssh_pki_export_privkey_base64) reads as an overflow.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:exitcode=86:detect_leaks=1:log_path=$log_dir/asan:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=87:log_path=$log_dir/ubsan"
export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0"
unset BANGER_PACKAGE_TEST

start=$(date +%s)
phase_meson_test "$build" "$reports" --no-suite package
test_status=$?
echo "asan phase: meson test took $(( $(date +%s) - start )) s"

phase_sanitizer_reports "$reports" "$log_dir" asan; asan_status=$?
phase_sanitizer_reports "$reports" "$log_dir" ubsan; ubsan_status=$?
(( test_status == 0 && asan_status == 0 && ubsan_status == 0 ))
