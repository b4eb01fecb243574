#!/usr/bin/env bash
# Installs banger's build and run dependencies (Debian 12) from .ci/packages.txt,
# skipping apt entirely when everything is already there.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mapfile -t packages < <(grep -v -e '^#' -e '^[[:space:]]*$' .ci/packages.txt)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}"
fi
