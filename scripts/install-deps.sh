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
# The default image is built from packages that are downloaded, not installed: apt must know them.
apt-cache show linux-image-cloud-amd64 >/dev/null 2>&1 || missing+=(apt-lists)
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | grep -vx apt-lists)
  ((${#missing[@]} == 0)) || apt-get install -y -qq "${missing[@]}"
fi
