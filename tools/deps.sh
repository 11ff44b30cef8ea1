#!/usr/bin/env bash
# deps.sh: install the Debian/Ubuntu packages pnpbox builds and tests with,
# only those missing.  Quiet and quick when everything is there; run by
# `make deps`, `make test`, `make demo`, `make bench` and `make asan`.
# Extra packages can be asked for as arguments (the fuzz target adds clang).
set -euo pipefail
need=(gcc make pkg-config binutils git libsqlite3-dev libfuse3-dev fuse3 libcriterion-dev "$@")
missing=()
for p in "${need[@]}"; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ "$st" == "install ok installed" ]] || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0
echo "pnpbox: installing missing packages: ${missing[*]}" >&2
SUDO=
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "pnpbox: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/pnpbox-apt.log 2>&1; then
    # A fresh machine may have no package lists yet.
    $SUDO apt-get update -q >>/tmp/pnpbox-apt.log 2>&1 || true
    if ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/pnpbox-apt.log 2>&1; then
        echo "pnpbox: apt-get could not install ${missing[*]}; see /tmp/pnpbox-apt.log" >&2
        exit 1
    fi
fi
