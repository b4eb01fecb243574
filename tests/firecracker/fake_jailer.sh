#!/bin/sh
# fake-jailer: checks the jailer command line banger builds and the chroot it
# prepared, then runs the exec file the way the real jailer would (same pid).
# No real chroot (the fake VMM is not a static binary): the socket path is
# given with the chroot's root in front, and FAKE_FC_CHROOT tells the fake VMM
# to resolve every path it is given inside that root. The uid and gid change
# is real when run as root (setpriv, as the jailer's setuid/setgid), so the
# fake VMM reaches only what the real one could.
set -eu
die() { echo "fake-jailer: $*" >&2; exit 2; }
id='' exec_file='' uid='' gid='' base='' cgroup_version=1 cgroups=0
while [ $# -gt 0 ]; do
  case "$1" in
    --id) id=$2; shift 2 ;;
    --exec-file) exec_file=$2; shift 2 ;;
    --uid) uid=$2; shift 2 ;;
    --gid) gid=$2; shift 2 ;;
    --chroot-base-dir) base=$2; shift 2 ;;
    --cgroup-version) cgroup_version=$2; shift 2 ;;
    --cgroup)
      case "$2" in *=*) ;; *) die "--cgroup wants <file>=<value>, got '$2'" ;; esac
      cgroups=$((cgroups + 1)); shift 2 ;;
    --) shift; break ;;
    *) die "unknown flag $1" ;;
  esac
done
[ -n "$id" ] && [ -n "$exec_file" ] && [ -n "$uid" ] && [ -n "$gid" ] && [ -n "$base" ] ||
  die "--id, --exec-file, --uid, --gid and --chroot-base-dir are required"
case "$cgroup_version" in 1|2) ;; *) die "--cgroup-version must be 1 or 2" ;; esac
case "$(basename "$exec_file")" in *firecracker*) ;; *) die "the exec file's name must contain 'firecracker'" ;; esac
[ "$#" -eq 2 ] && [ "$1" = --api-sock ] || die "expected '-- --api-sock PATH' for firecracker, got: $*"
case "$2" in /*) ;; *) die "the API socket must be an absolute path inside the chroot" ;; esac
root="$base/$(basename "$exec_file")/$id/root"
[ -d "$root/run" ] || die "$root/run was not prepared"
[ "$(stat -c %u:%g "$root/run")" = "$uid:$gid" ] || die "$root/run is not owned by $uid:$gid"
printf '%s\n' "$cgroups" > "$root/../fake-jailer.cgroups"
if [ "$(id -u)" = 0 ]; then
  FAKE_FC_CHROOT=$root exec setpriv --reuid="$uid" --regid="$gid" --clear-groups -- \
    "$exec_file" --api-sock "$root$2" --id "$id"
fi
FAKE_FC_CHROOT=$root exec "$exec_file" --api-sock "$root$2" --id "$id"
