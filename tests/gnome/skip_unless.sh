#!/bin/sh
# skip_unless.sh PROGRAM… -- COMMAND [ARG…]
# Runs COMMAND when every PROGRAM is on PATH; else says which is missing and
# exits 77, which meson counts as a skip.
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "SKIP: $1 is not installed"
    exit 77
  fi
  shift
done
[ "$1" = "--" ] && shift
exec "$@"
