#!/usr/bin/env bash
# The main job: build banger, bring up bangerd, create a VM, start it, show it.
#
# On a host whose system bus runs and has bangerd installed (meson install),
# bangerctl talks to it there. Otherwise (a container, CI, this project's dev
# machines) the script brings up its own private dbus-daemon with banger's bus
# policy, a real polkitd on it and bangerd, all under $BANGER_DEMO_DIR, and
# tears them down at the end (--keep leaves them running and prints how to
# reach them).
#
# The VM is real: the default guest image (bangerctl image build runs
# scripts/build-default-image.sh, cached in the build dir, and imports the
# result into bangerd through ImportImage with file descriptors, as the default
# image) booted by the QEMU microvm backend; under TCG where
# KVM cannot run guests. Start returns once the guest's SSH server answers; the
# script shows the serial console, pings the guest, logs in with bangerd's key
# and resolves the guest's DNS name there, then stops it gracefully and deletes it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
keep=0
[[ ${1:-} == --keep ]] && keep=1

if [[ $(id -u) -ne 0 ]]; then
  echo "demo.sh: run as root (it installs packages and polkit files)" >&2
  exit 1
fi

scripts/install-deps.sh
build=${BANGER_BUILD_DIR:-$root/build}
[[ -f $build/build.ninja ]] || meson setup "$build" >/dev/null
ninja -C "$build" >/dev/null
bangerctl=$build/client/bangerctl

vm=${BANGER_DEMO_VM:-demo}
if [[ -S /run/dbus/system_bus_socket ]] && busctl --system status dev.banger.banger1 >/dev/null 2>&1; then
  echo "== using the system bus and the installed bangerd"
  state=/var/lib/banger
  runtime=/run/banger
  in_net=()
else
  dir=${BANGER_DEMO_DIR:-/tmp/banger-demo}
  rm -rf "$dir" && mkdir -p "$dir" && chmod 755 "$dir"
  sed -e "s|@SOCKET@|$dir/bus.sock|" -e "s|@POLICY@|$root/dbus/dev.banger.banger1.conf|" \
    dbus/private-bus.conf.in >"$dir/bus.conf"
  install -m 0644 polkit/dev.banger.banger1.policy /usr/share/polkit-1/actions/
  install -m 0644 polkit/50-dev.banger.banger1.rules /etc/polkit-1/rules.d/
  dbus-daemon --config-file="$dir/bus.conf" --nofork --nopidfile >"$dir/dbus.log" 2>&1 &
  echo $! >"$dir/dbus.pid"
  export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$dir/bus.sock
  for _ in $(seq 100); do [[ -S $dir/bus.sock ]] && break; sleep 0.05; done
  /usr/lib/polkit-1/polkitd --no-debug >"$dir/polkitd.log" 2>&1 &
  echo $! >"$dir/polkitd.pid"
  state=$dir/state
  runtime=$dir/run
  printf '[vmm]\nbackend = "auto"\n' >"$dir/bangerd.toml"
  # bangerd makes its default network (a bridge, an nftables table) where it
  # runs: here, in a network namespace of the demo's own, never on the host's
  # interfaces. The bus socket is a file, so clients outside reach it all the same.
  netns=banger-demo-$$
  ip netns add "$netns"
  in_net=(ip netns exec "$netns")
  ip netns exec "$netns" "$build/service/bangerd" --config "$dir/bangerd.toml" --state-dir "$state" \
    --runtime-dir "$runtime" >"$dir/bangerd.log" 2>&1 &
  echo $! >"$dir/bangerd.pid"
  for _ in $(seq 200); do busctl --system status dev.banger.banger1 >/dev/null 2>&1 && break; sleep 0.05; done
  echo "== private bus at $DBUS_SYSTEM_BUS_ADDRESS (polkitd and bangerd, backend auto; logs in $dir)"
  teardown() {
    for p in bangerd polkitd dbus; do
      [[ -f $dir/$p.pid ]] && kill "$(cat "$dir/$p.pid")" 2>/dev/null || true
    done
    # What bangerd left running in its namespace (each network's dnsmasq) ends with it.
    ip netns pids "$netns" 2>/dev/null | xargs -r kill 2>/dev/null || true
    ip netns delete "$netns" 2>/dev/null || true
  }
  ((keep)) || trap teardown EXIT
fi

image=$build/default-image
echo "== building (or reusing) the default guest image in $image; importing it into bangerd"
BANGER_IMAGE_BUILDER=$root/scripts/build-default-image.sh "$bangerctl" image build --output "$image" >/dev/null
"$bangerctl" image list

set -x
"$bangerctl" create "$vm" --vcpus 1 --memory 256
# Start returns once the guest's SSH server has taken bangerd's key.
"$bangerctl" start "$vm"
"$bangerctl" wait "$vm" running --timeout 30
{ set +x; } 2>/dev/null
echo "== the guest's serial console (bangerctl logs $vm):"
"$bangerctl" logs "$vm" | grep -aE "Linux version|banger:" || { echo "demo.sh: the guest did not report ready" >&2; exit 1; }
address=$("$bangerctl" show "$vm" | awk '/^Address:/ { print $2 }')
echo "== the guest on its network ($address, bridge bg-default): ping, then SSH with bangerd's key"
set -x
"${in_net[@]}" ping -c 1 -W 2 "$address"
"${in_net[@]}" ssh -i "$state/ssh/id_ed25519" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
  -o LogLevel=ERROR "root@$address" "hostname; ip -4 -o addr show eth0; df -h / /work; nslookup $vm.banger"
"$bangerctl" list
"$bangerctl" show "$vm"
busctl --system tree dev.banger.banger1
if ((keep)); then
  set +x
  echo "== kept running; try: DBUS_SYSTEM_BUS_ADDRESS=$DBUS_SYSTEM_BUS_ADDRESS $bangerctl list"
  exit 0
fi
"$bangerctl" stop "$vm"
"$bangerctl" rm "$vm"
"$bangerctl" list
set +x
