#!/bin/sh
# fake-jailer: checks the jailer command line banger builds, then runs the
# exec file with its API socket where the real jailer's chroot would put it
# (<chroot base>/<exec file name>/<id>/root/run/...). No chroot, no uid
# change: only the paths and the exec (same pid, like the real jailer).
set -eu
id='' exec_file='' uid='' gid='' base=''
while [ $# -gt 0 ]; do
  case "$1" in
    --id) id=$2; shift 2 ;;
    --exec-file) exec_file=$2; shift 2 ;;
    --uid) uid=$2; shift 2 ;;
    --gid) gid=$2; shift 2 ;;
    --chroot-base-dir) base=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "fake-jailer: unknown flag $1" >&2; exit 2 ;;
  esac
done
if [ -z "$id" ] || [ -z "$exec_file" ] || [ -z "$uid" ] || [ -z "$gid" ] || [ -z "$base" ]; then
  echo "fake-jailer: --id, --exec-file, --uid, --gid and --chroot-base-dir are required" >&2
  exit 2
fi
if [ "$#" -ne 2 ] || [ "$1" != --api-sock ]; then
  echo "fake-jailer: expected '-- --api-sock PATH' for firecracker, got: $*" >&2
  exit 2
fi
root="$base/$(basename "$exec_file")/$id/root"
mkdir -p "$root/run"
exec "$exec_file" --api-sock "$root$2" --id "$id"
