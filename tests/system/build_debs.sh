#!/bin/bash
# Builds the Debian packages of SOURCE_ROOT into OUT_DIR (banger_*.deb,
# libbanger-client-dev_*.deb, source.sha256), the way tests/package/build_and_smoke.sh
# does, for a system test run that finds no current copy of them. Work happens in a
# fixed directory, so the compiler cache (ccache) finds its entries from the last run.
# usage: build_debs.sh SOURCE_ROOT OUT_DIR
set -uo pipefail
src=$1 out=$2
work=/var/tmp/banger-system-debbuild
rm -rf "$work" && mkdir -p "$work/src"
git -C "$src" ls-files -z --cached --others --exclude-standard | (cd "$src" && xargs -0 cp --parents -t "$work/src")
export CC=${CC:-gcc} CXX=${CXX:-g++}
if command -v ccache >/dev/null; then CC="ccache $CC" CXX="ccache $CXX"; fi
if ! (cd "$work/src" && DEB_BUILD_OPTIONS="nocheck parallel=${BANGER_JOBS:-2}" \
      nice -n 10 dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
  tail -40 "$work/build.log"
  echo "dpkg-buildpackage failed (log: $work/build.log)"
  exit 1
fi
rm -rf "$out.new" && mkdir -p "$out.new"
cp "$work"/banger_*.deb "$work"/libbanger-client-dev_*.deb "$out.new/" || exit 1
"$src/tests/package/source_hash.sh" "$src" >"$out.new/source.sha256" || exit 1
rm -rf "$out" && mv "$out.new" "$out" && rm -rf "$work"
ls -l "$out"
