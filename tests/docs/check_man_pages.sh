#!/bin/bash
# The man pages render without warnings, and bangerctl(1) documents every
# command and every long option bangerctl's own --help lists, so the page
# cannot fall behind the program.
# usage: check_man_pages.sh BANGERCTL BANGERCTL_MAN BANGERD_MAN
set -u
bangerctl=$1 ctl_man=$2 d_man=$3
command -v man >/dev/null || { echo "man is not installed"; exit 77; }
failed=0
fail() { echo "FAIL: $*"; failed=1; }

for page in "$ctl_man" "$d_man"; do
  out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
  [ -z "$out" ] || fail "$page renders with warnings: $out"
  text=$(MANWIDTH=80 man -l "$page" 2>/dev/null)
  [ "$(wc -l <<<"$text")" -gt 40 ] || fail "$page renders to almost nothing"
done
text=$(MANWIDTH=200 man -l "$ctl_man" 2>/dev/null)

# "  create   Create a VM …" / "  list, ls   List all VMs" under "Subcommands:".
commands() { "$bangerctl" "$@" --help | sed -n '/^Subcommands:/,/^$/p' | awk 'NR > 1 && NF { sub(",", "", $1); print $1 }'; }
long_options() { "$bangerctl" "$@" --help | sed -n '/^Options:/,/^$/p' | grep -o -- '--[a-z][a-z-]*' | sort -u; }

checked=0
for verb in $(commands); do
  grep -qE "^ {3}$verb( |,|$)" <<<"$text" || fail "bangerctl(1) has no section for '$verb'"
  for option in $(long_options "$verb"); do
    [ "$option" = --help ] && continue
    grep -q -- "$option" <<<"$text" || fail "bangerctl(1) does not mention '$verb $option'"
    checked=$((checked + 1))
  done
  for sub in $(commands "$verb"); do
    grep -qw -- "$sub" <<<"$text" || fail "bangerctl(1) does not mention '$verb $sub'"
    for option in $(long_options "$verb" "$sub"); do
      [ "$option" = --help ] && continue
      grep -q -- "$option" <<<"$text" || fail "bangerctl(1) does not mention '$verb $sub $option'"
      checked=$((checked + 1))
    done
  done
  checked=$((checked + 1))
done
[ "$checked" -gt 20 ] || fail "only $checked commands and options found in bangerctl --help"
echo "checked $checked commands and options"
exit $failed
