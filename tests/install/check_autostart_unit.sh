#!/bin/bash
# banger-autostart.service (issue 16) as built: systemd-analyze verify finds
# nothing to say about it (offline: no systemd needs to run), and it is the
# unit the README describes: enabled into multi-user.target, skipped unless
# bangerd's marker file in the default state directory exists, and starting
# bangerd.service without waiting for it.
# usage: check_autostart_unit.sh UNIT STATE_DIR
set -u
unit=$1 state_dir=$2
failed=0
fail() { echo "FAIL: $*"; failed=1; }

command -v systemd-analyze >/dev/null || { echo "systemd-analyze is not installed"; exit 77; }
out=$(systemd-analyze verify --man=no "$unit" 2>&1)
[ -z "$out" ] || fail "systemd-analyze verify: $out"

expect() { grep -qxF -- "$1" "$unit" || fail "$unit has no line '$1'"; }
expect "ConditionPathExists=$state_dir/autostart"
expect "Type=oneshot"
expect "ExecStart=systemctl --no-block start bangerd.service"
expect "WantedBy=multi-user.target"
# Any dependency on bangerd.service would start it even when the condition fails.
if grep -E '^(Wants|Requires|BindsTo|Upholds)=' "$unit" | grep -q bangerd; then
  fail "$unit pulls bangerd.service in as a dependency"
fi
[ "$failed" = 0 ] && echo "banger-autostart.service: verified"
exit "$failed"
