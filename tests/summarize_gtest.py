#!/usr/bin/env python3
"""Sum GoogleTest results over every test binary of a meson test run.

usage: summarize_gtest.py GTEST_JSON_DIR [MESON_TESTLOG_JSON] [--phase NAME REPORTS_DIR STATUS]...

GTEST_JSON_DIR holds one JSON report per gtest binary (GTEST_OUTPUT=json:DIR/).
MESON_TESTLOG_JSON is meson-logs/testlog.json; with it, a test binary that
failed without writing a report (it crashed, hung or aborted) counts as one
failed test, and a binary that failed although its report shows no failure
(e.g. it crashed at exit) adds one failure. Non-gtest meson tests count as one
test each.

Each --phase is one more run of the suite (tests/run-tests.sh, $BANGER_EXTRA_PHASES):
REPORTS_DIR holds its gtest JSON reports and its testlog.json; STATUS is the phase
script's exit status, and a phase that failed without a failed test (it could not
build, or died) adds one failure. With phases, a subtotal line per run comes first.

The last line printed is exactly "N passed, N failed", followed by
", N skipped" only when some were skipped. Exit status 1 when any failed.
"""

import json
import os
import sys

MESON_OK = {"OK", "EXPECTEDFAIL"}
MESON_SKIP = {"SKIP"}


def gtest_cases(report):
    """Yields (full name, outcome) per test case of one gtest JSON report."""
    for suite in report.get("testsuites", []):
        for case in suite.get("testsuite", []):
            name = f'{suite.get("name", "?")}.{case.get("name", "?")}'
            if case.get("failures"):
                yield name, "failed"
            elif case.get("result") in ("SKIPPED", "SUPPRESSED") or case.get("status") == "NOTRUN":
                yield name, "skipped"
            else:
                yield name, "passed"


def load_reports(directory):
    reports = {}
    if not os.path.isdir(directory):
        return reports
    for entry in sorted(os.listdir(directory)):
        # A phase's REPORTS_DIR also holds meson's testlog.json, which is no gtest report.
        if not entry.endswith(".json") or entry == "testlog.json":
            continue
        path = os.path.join(directory, entry)
        try:
            with open(path, encoding="utf-8") as f:
                reports[entry[: -len(".json")]] = json.load(f)
        except (OSError, ValueError) as e:
            print(f"unreadable gtest report {path}: {e}")
            reports[entry[: -len(".json")]] = None
    return reports


def load_meson_tests(testlog):
    tests = []
    if not testlog or not os.path.isfile(testlog):
        return tests
    with open(testlog, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    tests.append(json.loads(line))
                except ValueError:
                    pass
    return tests


def summarize(reports, meson_tests):
    """Counts of one run of the suite, and its failures' names."""
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    failures = []

    def count_report(binary, report):
        found = 0
        for name, outcome in gtest_cases(report or {}):
            counts[outcome] += 1
            found += outcome == "failed"
            if outcome == "failed":
                failures.append(f"{binary}: {name}")
        if report is None:
            counts["failed"] += 1
            failures.append(f"{binary}: unreadable report")
            found += 1
        return found

    used = set()
    for test in meson_tests:
        command = test.get("command") or [""]
        binary = os.path.basename(command[0])
        result = test.get("result", "")
        name = test.get("name", binary)
        if binary in reports and binary not in used:
            used.add(binary)
            failed_cases = count_report(binary, reports[binary])
            if result not in MESON_OK | MESON_SKIP and failed_cases == 0:
                counts["failed"] += 1
                failures.append(f"{name}: {result} (exit {test.get('returncode')}) with no failed test case")
        elif binary in used:
            continue
        elif result in MESON_OK:
            counts["passed"] += 1
        elif result in MESON_SKIP:
            counts["skipped"] += 1
        else:
            counts["failed"] += 1
            failures.append(f"{name}: {result} (exit {test.get('returncode')}) without a gtest report")
    # Reports of binaries meson did not list (or no testlog at all).
    for binary, report in reports.items():
        if binary not in used:
            count_report(binary, report)
    return counts, failures


def counts_line(counts):
    line = f'{counts["passed"]} passed, {counts["failed"]} failed'
    if counts["skipped"]:
        line += f', {counts["skipped"]} skipped'
    return line


def parse_args(argv):
    """[(run name, reports dir, testlog, exit status or None)] from the command line."""
    runs = []
    rest = argv[1:]
    positional = []
    while rest:
        if rest[0] == "--phase":
            if len(rest) < 4:
                raise ValueError("--phase needs NAME REPORTS_DIR STATUS")
            name, directory, status = rest[1:4]
            runs.append((name, directory, os.path.join(directory, "testlog.json"), int(status)))
            rest = rest[4:]
        else:
            positional.append(rest.pop(0))
    if not positional:
        raise ValueError("no GTEST_JSON_DIR")
    main_run = ("main", positional[0], positional[1] if len(positional) > 1 else None, None)
    return [main_run] + runs


def main(argv):
    try:
        runs = parse_args(argv)
    except ValueError as e:
        print(f"{e}\n{__doc__.strip().splitlines()[2]}")
        return 2
    total = {"passed": 0, "failed": 0, "skipped": 0}
    failures = []
    subtotals = []
    for name, directory, testlog, status in runs:
        counts, failed = summarize(load_reports(directory), load_meson_tests(testlog))
        if status and not counts["failed"]:
            counts["failed"] += 1
            failed.append(f"phase exited {status} with no failed test")
        if len(runs) > 1:
            failed = [f"[{name}] {f}" for f in failed]
        failures += failed
        subtotals.append(f"{name}: {counts_line(counts)}")
        for key in total:
            total[key] += counts[key]

    if failures:
        print("failed:")
        for f in failures:
            print(f"  {f}")
    if len(runs) > 1:
        for line in subtotals:
            print(line)
    print(counts_line(total))
    return 1 if total["failed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
