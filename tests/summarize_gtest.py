#!/usr/bin/env python3
"""Sum GoogleTest results over every test binary of a meson test run.

usage: summarize_gtest.py GTEST_JSON_DIR [MESON_TESTLOG_JSON]

GTEST_JSON_DIR holds one JSON report per gtest binary (GTEST_OUTPUT=json:DIR/).
MESON_TESTLOG_JSON is meson-logs/testlog.json; with it, a test binary that
failed without writing a report (it crashed, hung or aborted) counts as one
failed test, and a binary that failed although its report shows no failure
(e.g. it crashed at exit) adds one failure. Non-gtest meson tests count as one
test each.

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
        if not entry.endswith(".json"):
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


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2])
        return 2
    reports = load_reports(argv[1])
    meson_tests = load_meson_tests(argv[2] if len(argv) > 2 else None)
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

    if failures:
        print("failed:")
        for f in failures:
            print(f"  {f}")
    line = f'{counts["passed"]} passed, {counts["failed"]} failed'
    if counts["skipped"]:
        line += f', {counts["skipped"]} skipped'
    print(line)
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
