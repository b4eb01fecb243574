#!/bin/sh
# Runs one libFuzzer target for $BANGER_FUZZ_SECONDS (default 20) on a copy of
# its seed corpus (the seeds stay as committed), with its dictionary if it has
# one. Fails on a crash, leak, timeout or sanitizer report, leaving the input
# that did it as <target>-crash-* (etc.) in $BANGER_FUZZ_ARTIFACTS (default:
# the test's working directory). Prints libFuzzer's final stats, among them
# stat::number_of_executed_units, the executions count.
set -eu
fuzzer=$1
seeds=$2
dict=${3:-}
seconds=${BANGER_FUZZ_SECONDS:-20}
name=$(basename "$fuzzer")
artifacts=${BANGER_FUZZ_ARTIFACTS:-$PWD}
mkdir -p "$artifacts"

corpus=$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX")
trap 'rm -rf "$corpus"' EXIT
if [ -d "$seeds" ]; then cp -R "$seeds"/. "$corpus"/; fi

set -- -max_total_time="$seconds" -print_final_stats=1 -error_exitcode=99 -timeout_exitcode=98 -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -artifact_prefix="$artifacts/$name-"
if [ -n "$dict" ] && [ -f "$dict" ]; then set -- "$@" -dict="$dict"; fi

echo "$name: fuzzing for ${seconds}s from $(ls "$corpus" | wc -l) seeds"
rc=0
"$fuzzer" "$@" "$corpus" || rc=$?
echo "$name: corpus now $(ls "$corpus" | wc -l) inputs; exit $rc"
exit $rc
