#!/usr/bin/env bash
# The extension in a real gnome-shell (headless, a 1280x800 virtual monitor,
# software rendering) whose system bus is the private one of
# with_bus_environment.cpp, with a real bangerd-test on it:
#  - the extension loads and is enabled;
#  - with one VM running and a second created after the shell is up, the
#    indicator's label reads "1/2" (running/all), from signals;
#  - its menu, opened through org.gnome.Shell.Eval (--unsafe-mode), lists both
#    VMs by name with their states;
#  - screenshots (org.gnome.Shell.Screenshot) with the menu closed and open
#    are 1280x800 PNGs, the panel is not blank, and the menu's region changed
#    and is not blank when it is open;
#  - Start and the "Start at boot" switch (Autostart) act on the VM.
# The screenshots are kept in $BANGER_SCREENSHOT_DIR (gnome-shell-closed.png,
# gnome-shell-menu.png). Runs itself again inside dbus-run-session (the
# shell's own session bus).
set -euo pipefail

uuid=banger@banger.dev
work=${BANGER_TEST_DIR:?run by with-bus-environment}/gnome-shell
shots=${BANGER_SCREENSHOT_DIR:-$work}

if [[ ${1:-} != --in-session ]]; then
  mkdir -p "$work"/{home,config,data/gnome-shell/extensions,cache,runtime}
  chmod 700 "$work/runtime"
  cp -r "${BANGER_EXTENSION_DIR:?}" "$work/data/gnome-shell/extensions/$uuid"
  export HOME=$work/home XDG_CONFIG_HOME=$work/config XDG_DATA_HOME=$work/data \
    XDG_CACHE_HOME=$work/cache XDG_RUNTIME_DIR=$work/runtime
  unset DISPLAY WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS
  exec dbus-run-session -- "$0" --in-session
fi

failures=0
check() {  # check DESCRIPTION COMMAND…
  local what=$1
  shift
  if "$@"; then
    echo "ok: $what"
  else
    echo "FAILED: $what"
    failures=$((failures + 1))
  fi
}

bangerctl() { "${BANGER_BANGERCTL:?}" --no-ask-password "$@"; }
# vm_field VM KEY → the JSON string value of KEY in `bangerctl show VM --json`, quotes and all.
vm_field() { bangerctl show "$1" --json | grep -o "\"$2\": *\"[^\"]*\"" | sed 's/^[^:]*: *//'; }

# org.gnome.Shell.Eval JS → its result (a JSON string), or exit 1 with the error.
shell_eval() {
  local reply
  reply=$(gdbus call --session --dest org.gnome.Shell --object-path /org/gnome/Shell \
    --method org.gnome.Shell.Eval "$1") || return 1
  [[ $reply == "(true, "* ]] || { echo "Eval failed: $reply" >&2; return 1; }
  # (true, 'RESULT') → RESULT
  reply=${reply#"(true, '"}
  printf '%s\n' "${reply%"')"}"
}

# Repeats Eval until it returns `expected` (the harness waits; the extension does not poll).
eval_until() {  # eval_until JS EXPECTED SECONDS
  local deadline=$((SECONDS + $3)) got=
  while ((SECONDS < deadline)); do
    got=$(shell_eval "$1" 2>/dev/null || true)
    [[ $got == "$2" ]] && return 0
    sleep 0.2
  done
  echo "Eval $1: wanted $2, last got: $got" >&2
  return 1
}

screenshot() {  # screenshot FILE
  gdbus call --session --dest org.gnome.Shell.Screenshot --object-path /org/gnome/Shell/Screenshot \
    --method org.gnome.Shell.Screenshot.Screenshot false false "$1" >/dev/null
}

mean_of() { identify -format '%[fx:mean]' "$1[$2]"; }  # FILE GEOMETRY → mean intensity 0…1
stddev_of() { identify -format '%[fx:standard_deviation]' "$1[$2]"; }
above() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }

# One VM running before the shell starts: the extension must find it at enable.
bangerctl create shell-one --start >/dev/null

gsettings set org.gnome.shell enabled-extensions "['$uuid']"
gsettings set org.gnome.shell disable-user-extensions false
# A plain desktop, whatever wallpaper (and image loaders) this machine has: the
# menu's region is then uniform while the menu is closed.
gsettings set org.gnome.desktop.background picture-options none
gsettings set org.gnome.desktop.background color-shading-type solid
gsettings set org.gnome.desktop.background primary-color '#204a87'
gnome-shell --headless --virtual-monitor 1280x800 --no-x11 --unsafe-mode >"$work/gnome-shell.log" 2>&1 &
shell_pid=$!
trap 'kill "$shell_pid" 2>/dev/null; wait "$shell_pid" 2>/dev/null || true' EXIT

if ! gdbus wait --session --timeout 60 org.gnome.Shell.Screenshot ||
  ! eval_until 'Main.layoutManager._startingUp' 'false' 60; then
  echo "FAILED: gnome-shell did not come up; its log:"
  tail -50 "$work/gnome-shell.log"
  exit 1
fi
echo "ok: gnome-shell is up"

# ExtensionState.ENABLED is 1.
if ! eval_until "Main.extensionManager.lookup('$uuid')?.state" '1' 10; then
  echo "FAILED: the extension is not enabled: $(shell_eval "String(Main.extensionManager.lookup('$uuid')?.error)")"
  tail -50 "$work/gnome-shell.log"
  exit 1
fi
echo "ok: the extension is enabled"

bangerctl create shell-two >/dev/null
check "the indicator's label reads 1/2 (running/all)" \
  eval_until 'Main.panel.statusArea.banger._label.text' '"1/2"' 10

# The shell starts in the overview; leave it, and let the animation end.
shell_eval 'Main.overview.hide()' >/dev/null
check "the overview is hidden" eval_until 'Main.overview.visible || Main.overview.animationInProgress' 'false' 10
sleep 1.5

closed=$shots/gnome-shell-closed.png
opened=$shots/gnome-shell-menu.png
rm -f "$closed" "$opened"
screenshot "$closed"

menu=Main.panel.statusArea.banger.menu
shell_eval "$menu.open(0); $menu._getMenuItems().filter(i => i.menu)[0].setSubmenuShown(true)" >/dev/null
check "the menu is open" eval_until "$menu.isOpen" 'true' 5
# Eval answers in JSON; the labels are joined into one string of plain text.
labels=$(shell_eval "$menu._getMenuItems().filter(i => i.label?.text).map(i => [i.label.text, i.status?.text].filter(t => t).join(': ')).join(' | ')")
echo "menu items: $labels"
check "the menu's items: the summary, then each VM with its state" \
  test "$labels" = '"2 VMs: 1 running, 1 created | shell-one: running | shell-two: created"'
actions=$(shell_eval "$menu._getMenuItems().filter(i => i.menu)[0].menu._getMenuItems().map(i => i.label.text).join(' | ')")
echo "shell-one's actions: $actions"
check "shell-one offers its address to copy, Pause, Suspend, Stop, a terminal and its autostart switch" \
  grep -qE '^"Copy address [0-9.]+ \| Pause \| Suspend \| Stop \| Open terminal \| Start at boot"$' <<<"$actions"
# Let the menu's open animation settle before the capture.
sleep 0.5
# "x y w h" of the open menu, on screen.
geometry=$(shell_eval "(() => { const a = $menu.actor; const [x, y] = a.get_transformed_position(); \
  const [w, h] = a.get_transformed_size(); return [x, y, w, h].map(Math.round).join(' '); })()" | tr -d '"')
screenshot "$opened"
read -r mx my mw mh <<<"$geometry"
echo "menu at ${mw}x${mh}+${mx}+${my}"
region=${mw}x${mh}+${mx}+${my}

for shot in "$closed" "$opened"; do
  check "$(basename "$shot") is a 1280x800 PNG" \
    test "$(identify -format '%m %w %h' "$shot" 2>/dev/null)" = "PNG 1280 800"
  check "$(basename "$shot"): the panel is not blank" above "$(stddev_of "$shot" 1280x24+0+0)" 0.02
done
check "the menu is a sizeable box ($region)" test "$mw" -ge 150 -a "$mh" -ge 80
closed_mean=$(mean_of "$closed" "$region")
opened_mean=$(mean_of "$opened" "$region")
echo "menu region mean: closed $closed_mean, open $opened_mean"
check "the menu region is plain desktop when closed" above 0.02 "$(stddev_of "$closed" "$region")"
check "the menu region is not blank when open" above "$(stddev_of "$opened" "$region")" 0.05
changed=$(compare -metric AE -fuzz 5% "$closed[$region]" "$opened[$region]" null: 2>&1 || true)
check "the menu region changed when the menu opened ($changed of $((mw * mh)) pixels)" \
  above "$changed" "$((mw * mh / 4))"

# The address item copies the address to the clipboard (and closes the menu).
shell_eval "global._bangerClip = null; $menu._getMenuItems().filter(i => i.menu)[0].menu._getMenuItems()[0].activate(null); \
  imports.gi.St.Clipboard.get_default().get_text(imports.gi.St.ClipboardType.CLIPBOARD, (c, text) => { global._bangerClip = text; })" >/dev/null
check "Copy address put shell-one's address on the clipboard" \
  eval_until 'global._bangerClip' "$(vm_field shell-one ipv4_address)" 5
check "the menu closed after the action" eval_until "$menu.isOpen" 'false' 5

# A VM whose VMM dies: a notification with its LastError, and the label follows.
vm_id=$(shell_eval "Main.panel.statusArea.banger._model.vms.find(vm => vm.name === 'shell-one').id" | tr -d '"')
vmm_pid=$(grep -o '"pid": *[0-9]*' "$BANGER_TEST_DIR/run/vms/$vm_id/handles.json" | grep -o '[0-9]*$')
kill -KILL "$vmm_pid"
check "a notification says shell-one failed, and why" eval_until \
  "Main.messageTray.getSources().flatMap(s => s.notifications).map(n => n.title + ': ' + n.bannerBodyText) \\
    .filter(text => text.startsWith('banger')).join(' | ')" \
  '"banger: shell-one failed: the VMM was killed by signal 9 (SIGKILL)"' 10
check "the label reads 0/2" eval_until 'Main.panel.statusArea.banger._label.text' '"0/2"' 5
check "the icon warns of the failed VM" \
  eval_until 'Main.panel.statusArea.banger._icon.icon_name' '"dialog-warning-symbolic"' 5
# Disabling removes the indicator (and its handlers: no error); enabling again shows the same VMs.
shell_eval "Main.extensionManager.disableExtension('$uuid')" >/dev/null
check "disabled: the indicator is gone" eval_until 'Main.panel.statusArea.banger === undefined' 'true' 5
shell_eval "Main.extensionManager.enableExtension('$uuid')" >/dev/null
check "enabled again: the label reads 0/2" eval_until 'Main.panel.statusArea.banger?._label.text' '"0/2"' 5
check "enabled again without an error" eval_until "Main.extensionManager.lookup('$uuid').state" '1' 5

# Start from the menu: shell-two's "Start" item calls VM.Start; the label follows.
shell_eval "$menu._getMenuItems().filter(i => i.menu && i.label.text === 'shell-two')[0].menu._getMenuItems() \
  .filter(i => i.label.text === 'Start')[0].activate(null)" >/dev/null
check "Start from the menu: the label reads 1/2" eval_until 'Main.panel.statusArea.banger._label.text' '"1/2"' 10
check "shell-two is running" test "$(vm_field shell-two state)" = '"running"'

# Autostart from the menu: shell-two's "Start at boot" switch calls VM.Set; the switch follows the property.
autostart_switch="$menu._getMenuItems().filter(i => i.menu && i.label.text === 'shell-two')[0].menu._getMenuItems() \
  .filter(i => i.label.text === 'Start at boot')[0]"
check "shell-two's switch is off" eval_until "$autostart_switch.state" 'false' 5
shell_eval "$autostart_switch.toggle()" >/dev/null
check "the switch turned shell-two's autostart on" eval_until \
  "Main.panel.statusArea.banger._model.vms.find(vm => vm.name === 'shell-two').autostart" 'true' 10
check "bangerd has shell-two's autostart on" grep -q '"autostart": true' <<<"$(bangerctl show shell-two --json)"
check "the rebuilt switch shows it" eval_until "$autostart_switch.state" 'true' 5

# Stack traces name the file; warnings and errors of the extension's code would show here.
check "gnome-shell logged nothing from the extension's code" \
  bash -c '! grep -B2 -A2 "$1" "$2"' _ "extensions/$uuid/" "$work/gnome-shell.log"
cp "$work/gnome-shell.log" "$shots/gnome-shell.log"

echo "screenshots: $closed $opened (log: $shots/gnome-shell.log)"
((failures == 0)) && echo "all checks passed" || echo "$failures check(s) failed"
((failures == 0))
