#!/bin/bash
# Prints one hash of the source files that go into the Debian packages, so a
# kept copy of the packages (/var/tmp/banger-debs, tests/package/build_and_smoke.sh)
# can be told apart from a stale one (tests/system/run.sh). The tests, CI files,
# benchmarks and the README do not reach the packages (debian/rules builds with
# -Dtests=false) and are left out, so editing a test does not force a rebuild.
# usage: source_hash.sh SOURCE_ROOT
set -uo pipefail
src=$1
git -C "$src" ls-files -z --cached --others --exclude-standard -- . \
    ':(exclude)tests/' ':(exclude).ci/' ':(exclude)bench/' ':(exclude)README.md' |
  (cd "$src" && LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1
