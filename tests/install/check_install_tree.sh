#!/bin/bash
# `meson install --destdir` into a scratch directory, then every installed file
# against expected-files.txt (path and mode, nothing missing, nothing extra),
# and the installed files against each other: the unit starts the installed
# bangerd, the activation file names the unit's alias, the policy and rules
# parse, the pkg-config file points at the installed library.
# usage: check_install_tree.sh BUILD_DIR
set -u
build=$1
here=$(cd "$(dirname "$0")" && pwd)
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }

if ! out=$(meson install -C "$build" --no-rebuild --destdir "$dest" 2>&1); then
  echo "$out"; echo "FAIL: meson install"; exit 1
fi
# meson's directory options, read once: "name value" lines.
options=$(meson introspect --buildoptions "$build" | python3 -c "
import json, sys
for o in json.load(sys.stdin):
    if o['name'] in ('prefix', 'libdir', 'libexecdir', 'sysconfdir', 'datadir', 'includedir', 'mandir'):
        print(o['name'], o['value'])")
option() { awk -v n="$1" '$1 == n { print $2 }' <<<"$options"; }
prefix=$(option prefix)
root="$dest$prefix"
expand() {
  local line=$1 d
  for d in libdir libexecdir sysconfdir datadir includedir mandir; do line=${line//\{$d\}/$(option "$d")}; done
  echo "$line"
}

declare -A expected
while read -r path mode; do
  [[ -z "$path" || "$path" == \#* ]] && continue
  path=$(expand "$path")
  expected[$path]=$mode
  file="$root/$path"
  if [[ "$mode" == link ]]; then
    [[ -L "$file" ]] || fail "$path: not installed as a symlink"
    [[ -e "$file" ]] || fail "$path: dangling symlink"
  elif [[ ! -f "$file" || -L "$file" ]]; then
    fail "$path: not installed"
  elif [[ "$(stat -c %a "$file")" != "${mode#0}" ]]; then
    fail "$path: mode $(stat -c %a "$file"), expected $mode"
  fi
done < "$here/expected-files.txt"

while IFS= read -r file; do
  path=${file#"$root/"}
  [[ -n "${expected[$path]+x}" ]] || fail "$path: installed but not expected"
done < <(find "$dest" \( -type f -o -type l \))

# The installed files refer to each other by their installed paths.
libexecdir=$(option libexecdir)
grep -qx "ExecStart=$prefix/$libexecdir/bangerd" "$root/lib/systemd/system/bangerd.service" ||
  fail "bangerd.service does not start $prefix/$libexecdir/bangerd"
grep -qx "Type=dbus" "$root/lib/systemd/system/bangerd.service" || fail "bangerd.service is not Type=dbus"
grep -qx "BusName=dev.banger.banger1" "$root/lib/systemd/system/bangerd.service" || fail "bangerd.service has no BusName"
# The unit's own name: an alias would exist only once the unit is enabled, and the package
# installs it disabled, so the first call after install would find no unit.
grep -qx "SystemdService=bangerd.service" "$root/$(option datadir)/dbus-1/system-services/dev.banger.banger1.service" ||
  fail "the activation file does not name bangerd.service"
! grep -q '^Alias=' "$root/lib/systemd/system/bangerd.service" || fail "bangerd.service has an Alias (activation must not depend on it)"
for xml in "$root/$(option datadir)"/dbus-1/system.d/*.conf "$root/$(option datadir)"/polkit-1/actions/*.policy; do
  python3 -c "import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])" "$xml" 2>/dev/null || fail "$xml is not well-formed XML"
done
PKG_CONFIG_PATH="$root/$(option libdir)/pkgconfig" pkg-config --define-prefix --libs banger-client 2>/dev/null |
  grep -q -- "-lbanger-client" || fail "banger-client.pc does not link libbanger-client"

echo "checked ${#expected[@]} installed files under $prefix"
exit $failed
