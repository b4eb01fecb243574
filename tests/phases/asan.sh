#!/usr/bin/env bash
# Phase "asan": the meson test suite on an AddressSanitizer + UndefinedBehaviorSanitizer
# build (gcc). Every binary of the build is instrumented, so the bus tests spawn a sanitized
# bangerd-test/bangerd, bangerctl and console relay. Only the targets the selected tests need
# are built (tests/phases/select_tests.py), not the whole tree.
#
#   tests/phases/asan.sh SRC_DIR PHASE_BUILD_DIR REPORTS_DIR
#
# Undefined behaviour aborts (-fno-sanitize-recover) instead of printing and going on. Each
# process writes its reports to REPORTS_DIR/sanitizer/<kind>.<pid>; any such file is a failure,
# which catches reports from daemons whose exit a test does not look at.
#
# Left out:
# - the package smoke test (suite package): it builds release .debs, not this build.
# - unless BANGER_ASAN_ALL=1, the slow suites that boot real guests under QEMU (TCG here) or
#   only time things, which the main phase has just run on the same code (asan_slow below):
#     bus-qemu                  the QEMU backend behind bangerd-test on the bus; the backend
#                               itself (QMP client, launch, stop, kill, adopt) stays under ASan
#                               in suite `qemu` (kept: nothing else drives QMP against a real
#                               QEMU), the bus side in the other bus-* suites.
#     bus-guest-*               real guests of the real bangerd (network, work disk, clone,
#                               disks, workspace, ssh, stats, ports, forward, console,
#                               host-input, faults); bangerd's side of each (taps, NAT,
#                               dnsmasq, root and work disks, workspace tar streams, SSH key
#                               and login, port listing, stats readers, console relay, VMM
#                               faults) runs under ASan in net*, disks, unit, console-relay,
#                               bus-networks-host, bus-workspace, bus-ports, bus-stats,
#                               bus-console-attach, bus-vmm-faults and crash-consistency; not
#                               under ASan is only what needs a live guest on the other end
#                               (an SSH session's data path to a real dropbear in a guest).
#     bench-short               timings only; the benches' bus, IPAM, network, forward and
#                               disk paths are those of the bus, unit, net and disks suites.
# BANGER_ASAN_TESTS="NAME PATTERN...": run only the tests whose names match (shell patterns;
# e.g. "unit bus-errors" to check the phase quickly); it overrides the list above.
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
# -g1: line tables only (after meson's -g, so it wins); the reports keep function, file and
# line of every frame, inlined ones too, and a file compiles in ~3/4 of the time (measured
# 18.5 -> 14.0 CPU s on tests/unit/test_capabilities.cpp), with objects half the size.
# -Wno-maybe-uninitialized: the sanitizers' instrumentation makes gcc 12 warn falsely inside
# libstdc++ (std::regex's std::function moves), which -Werror would turn into a failed build.
if ! phase_setup "$src" "$build" -Db_sanitize=address,undefined -Db_lundef=false -Doptimization=1 \
     "-Dcpp_args=-fno-sanitize-recover=undefined -Wno-maybe-uninitialized -g1" \
     -Dcpp_link_args=-fno-sanitize-recover=undefined; then
  phase_fail "$reports" "asan: meson setup failed"
  exit 1
fi

asan_slow=(bus-qemu 'bus-guest-*' bench-short)
selection=(--no-suite package)
if [[ -n ${BANGER_ASAN_TESTS:-} ]]; then
  for pattern in $BANGER_ASAN_TESTS; do selection+=(--only "$pattern"); done
  echo "asan phase: only the tests matching: $BANGER_ASAN_TESTS"
elif [[ ${BANGER_ASAN_ALL:-0} != 1 ]]; then
  for pattern in "${asan_slow[@]}"; do selection+=(--skip "$pattern"); done
  echo "asan phase: skipping the real-guest and bench suites the main phase ran" \
    "(${asan_slow[*]}; BANGER_ASAN_ALL=1 runs them)"
fi
mapfile -t tests < <(python3 "$here/select_tests.py" "$build" tests "${selection[@]}")
mapfile -t targets < <(python3 "$here/select_tests.py" "$build" targets "${selection[@]}")
echo "asan phase: ${#tests[@]} tests, ${#targets[@]} targets to build"
start=$(date +%s)
if (( ${#tests[@]} == 0 || ${#targets[@]} == 0 )) || ! ninja -C "$build" -j "$jobs" "${targets[@]}"; then
  phase_fail "$reports" "asan: build failed (or no test selected)"
  exit 1
fi
echo "== asan phase build: $(( $(date +%s) - start )) s"

# detect_leaks: LeakSanitizer runs at each process's exit (it needs ptrace-like access to the
# process's own threads, which root has here). Third-party leaks are suppressed in lsan.supp.
# Not strict_string_checks: it makes strndup(s, n) check strlen(s)+1 bytes, so libssh's legal
# strndup of a key blob without a NUL (ssh_pki_export_privkey_base64) reads as an overflow.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:exitcode=86:detect_leaks=1:log_path=$log_dir/asan:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=87:log_path=$log_dir/ubsan"
export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0"
unset BANGER_PACKAGE_TEST

# Suite qemu's default image: the main build's copy when there is one (the builder script
# sees its manifest unchanged and does nothing), instead of downloading and building it again.
main_image=${build%-asan}/tests/qemu/default-image
if [[ $build == *-asan && -f $main_image/manifest && ! -e $build/tests/qemu/default-image ]]; then
  mkdir -p "$build/tests/qemu" && cp -a "$main_image" "$build/tests/qemu/default-image"
fi

start=$(date +%s)
phase_meson_test "$build" "$reports" "${tests[@]}"
test_status=$?
echo "== asan phase tests: $(( $(date +%s) - start )) s"

phase_sanitizer_reports "$reports" "$log_dir" asan; asan_status=$?
phase_sanitizer_reports "$reports" "$log_dir" ubsan; ubsan_status=$?
(( test_status == 0 && asan_status == 0 && ubsan_status == 0 ))
