#!/bin/bash
# Builds the Debian packages (dpkg-buildpackage -us -uc -b) from a copy of the
# source tree, installs them on this machine, and smoke-tests what they
# installed: bangerd from its installed path on a private bus that uses the
# installed bus policy and polkit files, bangerctl from PATH, the man pages,
# the bash completion, and a program built against libbanger-client-dev.
# It installs packages, so it runs only when asked (BANGER_PACKAGE_TEST=1,
# as .ci/run does) and as root; otherwise it reports itself skipped.
# usage: build_and_smoke.sh SOURCE_ROOT
set -u
src=$1
[[ ${BANGER_PACKAGE_TEST:-0} == 1 ]] || { echo "set BANGER_PACKAGE_TEST=1 to build and install the packages"; exit 77; }
[[ $(id -u) == 0 ]] || { echo "needs root"; exit 77; }
command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null || { echo "dpkg-dev/debhelper missing"; exit 77; }

# A fixed place, so that a second run on the same machine finds its compiler cache entries.
work=/var/tmp/banger-package
rm -rf "$work" && mkdir -p "$work"
netns=banger-pkg-$$
cleanup() {
  for p in bangerd polkitd dbus; do [[ -f $work/$p.pid ]] && kill "$(cat "$work/$p.pid")" 2>/dev/null; done
  ip netns pids "$netns" 2>/dev/null | xargs -r kill 2>/dev/null
  ip netns delete "$netns" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }

# --- build ----------------------------------------------------------------
mkdir "$work/src"
git -C "$src" ls-files -z --cached --others --exclude-standard | (cd "$src" && xargs -0 cp --parents -t "$work/src")
echo "== dpkg-buildpackage in $work/src"
if ! (cd "$work/src" && DEB_BUILD_OPTIONS="nocheck parallel=${BANGER_JOBS:-2}" dpkg-buildpackage -us -uc -b) \
    >"$work/build.log" 2>&1; then
  tail -40 "$work/build.log"; echo "FAIL: dpkg-buildpackage"; exit 1
fi
debs=("$work"/banger_*.deb "$work"/libbanger-client-dev_*.deb)
ls -l "${debs[@]}"
for p in banger libbanger-client-dev; do
  compgen -G "$work/${p}_*.deb" >/dev/null || fail "no $p package was built"
done
# Keep a copy for the system test (tests/system), which installs them into a booted
# Debian root: dpkg-buildpackage is slow, so it is done once. The source hash tells
# a later run whether they are still the packages of its tree.
keep=${BANGER_DEB_DIR:-/var/tmp/banger-debs}
rm -rf "$keep.new" && mkdir -p "$keep.new" && cp "${debs[@]}" "$keep.new/" &&
  "$src/tests/package/source_hash.sh" "$src" >"$keep.new/source.sha256" &&
  rm -rf "$keep" && mv "$keep.new" "$keep" || fail "keeping the packages in $keep"

# --- install --------------------------------------------------------------
echo "== apt-get install the packages"
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${debs[@]}" >"$work/install.log" 2>&1 ||
  { tail -20 "$work/install.log"; echo "FAIL: installing the packages"; exit 1; }
for f in /usr/libexec/bangerd /usr/bin/bangerctl /usr/share/dbus-1/system.d/dev.banger.banger1.conf \
         /usr/share/dbus-1/system-services/dev.banger.banger1.service /lib/systemd/system/bangerd.service \
         /lib/systemd/system/banger-autostart.service \
         /usr/share/polkit-1/actions/dev.banger.banger1.policy /usr/share/polkit-1/rules.d/50-dev.banger.banger1.rules \
         /usr/lib/sysusers.d/banger.conf /usr/lib/tmpfiles.d/banger.conf /etc/banger/bangerd.toml \
         /usr/share/bash-completion/completions/bangerctl /usr/include/banger/client.h \
         /usr/libexec/banger-console-relay /usr/libexec/banger-diskfs; do
  [[ -e $f ]] || fail "$f is not installed"
done
# dh_compress gzips the larger documents.
compgen -G "/usr/share/doc/banger/dbus-api.md*" >/dev/null || fail "/usr/share/doc/banger/dbus-api.md is not installed"
dpkg -S /usr/libexec/bangerd | grep -q '^banger:' || fail "/usr/libexec/bangerd does not belong to package banger"
getent group banger >/dev/null || fail "the postinst did not make group banger"
# dh_installsystemd wrote the units' maintainer scripts (it skips units it cannot find):
# enable banger-autostart.service, restart bangerd.service on upgrade.
grep -q 'banger-autostart.service' /var/lib/dpkg/info/banger.postinst ||
  fail "the postinst does not handle banger-autostart.service (dh_installsystemd found no unit)"
grep -q 'bangerd.service' /var/lib/dpkg/info/banger.postinst ||
  fail "the postinst does not handle bangerd.service (dh_installsystemd found no unit)"
[[ $(command -v bangerctl) == /usr/bin/bangerctl ]] || fail "bangerctl is not on PATH"
man -w bangerctl >/dev/null 2>&1 || fail "man bangerctl finds no page"
man -w 8 bangerd >/dev/null 2>&1 || fail "man 8 bangerd finds no page"

# --- the installed client library -----------------------------------------
cat >"$work/hello.cpp" <<'CPP'
#include <banger/client.h>
#include <iostream>
int main() {
  auto client = banger::client::Client::connect({});
  std::cout << client.list_vms().size() << " VMs\n";
}
CPP
# shellcheck disable=SC2046 # pkg-config prints several words
g++ -std=c++20 "$work/hello.cpp" -o "$work/hello" $(pkg-config --cflags --libs banger-client) 2>"$work/hello.log" ||
  { cat "$work/hello.log"; fail "a program does not build against libbanger-client-dev"; }

# --- a private bus with the installed policy, the installed bangerd ---------
sed -e "s|@SOCKET@|$work/bus.sock|" -e "s|@POLICY@|/usr/share/dbus-1/system.d/dev.banger.banger1.conf|" \
  "$src/dbus/private-bus.conf.in" >"$work/bus.conf"
dbus-daemon --config-file="$work/bus.conf" --nofork --nopidfile >"$work/dbus.log" 2>&1 &
echo $! >"$work/dbus.pid"
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$work/bus.sock
for _ in $(seq 100); do [[ -S $work/bus.sock ]] && break; sleep 0.05; done
/usr/lib/polkit-1/polkitd --no-debug >"$work/polkitd.log" 2>&1 &
echo $! >"$work/polkitd.pid"
ip netns add "$netns"
ip netns exec "$netns" ip link set lo up
ip netns exec "$netns" /usr/libexec/bangerd --state-dir "$work/state" --runtime-dir "$work/run" >"$work/bangerd.log" 2>&1 &
echo $! >"$work/bangerd.pid"
for _ in $(seq 200); do busctl --system status dev.banger.banger1 >/dev/null 2>&1 && break; sleep 0.05; done

echo "== bangerctl (from PATH) against the installed bangerd"
bangerctl version || fail "bangerctl version"
bangerctl network list | grep -q '^default' || fail "bangerctl network list shows no default network"
bangerctl doctor >"$work/doctor.txt" 2>&1; echo "(bangerctl doctor exit status $?)"; head -30 "$work/doctor.txt"
out=$(bangerctl create smoke-vm 2>&1)  # no image imported: refused, with the way out named
grep -q "image build" <<<"$out" || fail "create without an image: '$out'"
"$work/hello" | grep -q "^0 VMs$" || fail "the program built against libbanger-client-dev does not list VMs"
completion=$(bash -c 'source /usr/share/bash-completion/completions/bangerctl; COMP_WORDS=(bangerctl net); COMP_CWORD=1; _bangerctl; echo "${COMPREPLY[@]}"')
[[ $completion == network ]] || fail "installed completion offers '$completion' for 'net'"
busctl --system introspect dev.banger.banger1 /dev/banger/banger1 dev.banger.banger1.Manager >/dev/null ||
  fail "introspecting the installed bangerd"
if ((failed)); then echo "== bangerd log"; tail -20 "$work/bangerd.log"; fi
exit $failed
