#!/usr/bin/env python3
"""Which meson tests a phase runs, and which build targets those tests need.

    select_tests.py BUILD tests   [selection...]   # the test names, one a line
    select_tests.py BUILD targets [selection...]   # what to build for them, relative to BUILD

selection (all optional, applied in this order):
    --suite S        only tests in suite S (repeatable; any of them)
    --no-suite S     leave out tests in suite S (repeatable)
    --only PATTERN   only tests whose name matches the shell pattern (repeatable; any of them)
    --skip PATTERN   leave out tests whose name matches the shell pattern (repeatable)

The targets are each selected test's program when it is built here, every target the test
depends on (meson lists the `depends:` targets and the built targets among its arguments),
and, when test install-tree is selected, every installed target (its `meson install
--no-rebuild` needs them all). Used by tests/phases/asan.sh so the phase builds only what
it runs.
"""
import fnmatch
import json
import os
import subprocess
import sys


def introspect(build, what):
    return json.loads(subprocess.check_output(["meson", "introspect", build, what]))


def suites_of(test):
    return {s.split(":")[-1] for s in test.get("suite", [])}


def main(argv):
    if len(argv) < 3 or argv[2] not in ("tests", "targets"):
        print(__doc__, file=sys.stderr)
        return 2
    build, what = os.path.abspath(argv[1]), argv[2]
    suites, no_suites, only, skip = [], [], [], []
    args = argv[3:]
    while args:
        flag, value, args = args[0], args[1] if len(args) > 1 else None, args[2:]
        if value is None:
            print(f"select_tests.py: {flag} needs a value", file=sys.stderr)
            return 2
        {"--suite": suites, "--no-suite": no_suites, "--only": only, "--skip": skip}[flag].append(value)

    tests = introspect(build, "--tests")
    selected = []
    for test in tests:
        name = test["name"]
        if suites and not suites_of(test) & set(suites):
            continue
        if suites_of(test) & set(no_suites):
            continue
        if only and not any(fnmatch.fnmatchcase(name, p) for p in only):
            continue
        if any(fnmatch.fnmatchcase(name, p) for p in skip):
            continue
        selected.append(test)

    if what == "tests":
        for test in selected:
            print(test["name"])
        return 0

    targets = introspect(build, "--targets")
    files = {t["id"]: t["filename"] for t in targets}
    wanted = set()
    if any(test["name"] == "install-tree" for test in selected):
        for target in targets:
            if target.get("installed"):
                wanted.update(target["filename"])
    for test in selected:
        wanted.update(test["cmd"][:1])
        for dep in test.get("depends", []):
            wanted.update(files.get(dep, []))
    built = {f for t in targets for f in t["filename"]}
    for path in sorted(wanted):
        if path in built and path.startswith(build + "/"):
            print(os.path.relpath(path, build))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
