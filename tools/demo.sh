#!/usr/bin/env bash
# demo.sh: `make demo` for now: a short scripted tour of the emulated
# registry through the `pnpbox reg` CLI, on a temporary machine directory
# that is removed at the end.  Each command is printed before it runs
# ("+ pnpbox reg ..."); the tour stops with a non-zero status at the first
# step that fails.  Uses $PNPBOX_BUILD/bin/pnpbox (the Makefile sets
# PNPBOX_BUILD), else build/bin/pnpbox.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${PNPBOX_BUILD:-$top/build}
pnpbox=$build/bin/pnpbox
if [[ ! -x $pnpbox ]]; then
    echo "demo: '$pnpbox' is not built; run 'make' first" >&2
    exit 1
fi

machine=$(mktemp -d "${TMPDIR:-/tmp}/pnpbox-demo.XXXXXX")
trap 'rm -rf "$machine"' EXIT

# Quote an argument the way a user would type it, for the "+ ..." line.
show() {
    local out="+ pnpbox" a
    for a in "$@"; do
        if [[ $a =~ ^[A-Za-z0-9_./:=,+%@\\-]+$ ]]; then
            out+=" $a"
        else
            out+=" '${a//\'/\'\\\'\'}'"
        fi
    done
    printf '%s\n' "$out"
}

# Run one pnpbox step on the demo machine; any failure ends the tour.
step() {
    show "$@"
    local rc=0
    "$pnpbox" --machine "$machine" "$@" || rc=$?
    if [[ $rc -ne 0 ]]; then
        echo "demo: the step above failed with exit status $rc" >&2
        exit 1
    fi
}

# A step that must fail with exit status 1 (a missing key).
step_missing() {
    show "$@"
    local rc=0
    "$pnpbox" --machine "$machine" "$@" || rc=$?
    if [[ $rc -ne 1 ]]; then
        echo "demo: the step above should have exited with 1 (not found), not $rc" >&2
        exit 1
    fi
    echo "(exit status 1: not found, as expected)"
}

key='HKLM\SOFTWARE\Contoso\Widget'

echo "== A machine's registry lives in $machine/registry.db (created on first use)."
echo; echo "== Add keys and values of each type, with reg.exe's syntax."
step reg add "$key" /v FriendlyName /d 'Contoso Widget'
step reg add "$key" /v Version /t REG_DWORD /d 0x2a
step reg add "$key" /v Serial /t REG_QWORD /d 1234567890123
step reg add "$key" /v InstallDir /t REG_EXPAND_SZ /d '%ProgramData%\Contoso'
step reg add "$key" /v HardwareIds /t REG_MULTI_SZ /d 'ROOT\WIDGET\0PCI\VEN_1234&DEV_5678'
step reg add "$key" /v Calibration /t REG_BINARY /d 00ff10203040
step reg add "$key" /ve /d 'default value'
step reg add "$key\\Parameters\\Tuning" /v Gain /t REG_DWORD /d 7
step reg add 'HKCU\Software\Contoso' /v User /d LocalSystem

echo; echo "== Query one key, then the whole tree with /s."
step reg query "$key"
step reg query 'HKLM\SOFTWARE\Contoso' /s

echo; echo "== Export to a .reg file (regedit's format: UTF-16LE, CRLF) and show a few lines."
regfile=$machine/contoso.reg
step reg export 'HKLM\SOFTWARE\Contoso' "$regfile"
# sed reads the whole file (no early exit that could break the pipe under pipefail).
iconv -f UTF-16LE -t UTF-8 "$regfile" | sed -n -e '1s/^\xEF\xBB\xBF//' -e 's/\r$//' -e 's/^/    | /' -e '1,12p'

echo; echo "== Delete a value, then the whole tree."
step reg delete "$key" /v Calibration /f
step reg query "$key" /v Version
step reg delete 'HKLM\SOFTWARE\Contoso' /f
step_missing reg query "$key"

echo; echo "== Import the file back (one transaction: all of it or nothing) and query again."
step reg import "$regfile"
step reg query 'HKLM\SOFTWARE\Contoso' /s

echo; echo "== Done: the tour's machine directory is removed."
