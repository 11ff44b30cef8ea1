#!/usr/bin/env bash
# demo.sh: `make demo`, the main job on the embedded default machine: the two
# example driver packages go through `pnpbox verify` (stage into the driver
# store, install on a root device, DriverEntry / AddDevice / START, remove,
# unload, then an update to a newer package), first the legacy WDM driver,
# then its isolated KMDF twin, and the difference is shown rule by rule.
# Each command is printed before it runs ("+ pnpbox ...").  Uses
# $PNPBOX_BUILD (the Makefile sets it), else build/.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${PNPBOX_BUILD:-$top/build}
pnpbox=$build/bin/pnpbox
for f in "$pnpbox" "$build/examples/legacywdm/legacywdm.sys" "$build/examples/kmdfiso/kmdfiso.sys"; do
    if [[ ! -e $f ]]; then
        echo "demo: '$f' is not built; run 'make' first" >&2
        exit 1
    fi
done
work=$(mktemp -d "${TMPDIR:-/tmp}/pnpbox-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '+ pnpbox'; printf ' %s' "${@/#$build\//build/}"; printf '\n'; }

# A newer version (DriverVer ...,1.1.0.0) of a package, to update to.
newer() {
    local name=$1 dir=$work/$1-v2
    mkdir -p "$dir"
    cp "$build/examples/$name/$name.sys" "$dir/"
    iconv -f UTF-16LE -t UTF-8 "$build/examples/$name/$name.inf" | sed 's/,1\.0\.0\.0/,1.1.0.0/' |
        iconv -f UTF-8 -t UTF-16LE > "$dir/$name.inf"
    printf '%s\n' "$dir/$name.inf"
}

# verify NAME [extra args]: the text report on the terminal, the JSON kept for the summary.
verify() {
    local name=$1
    shift
    local args=(verify --inf "$build/examples/$name/$name.inf" --driver "$build/examples/$name/$name.sys"
                --update-to "$(newer "$name")" "$@")
    show "${args[@]}" --keep "$work/$name-machine"
    local rc=0
    "$pnpbox" "${args[@]}" --keep "$work/$name-machine" 2>/dev/null || rc=$?
    "$pnpbox" "${args[@]}" --format json > "$work/$name.json" || true
    echo "(exit status $rc)"
}

say "pnpbox lint: the two INFs against InfVerif's /w driver isolation rules"
for name in legacywdm kmdfiso; do
    show lint "$build/examples/$name/$name.inf"
    "$pnpbox" lint "$build/examples/$name/$name.inf" || true
done

say "The legacy WDM driver (examples/legacywdm): every finding, why it matters, what to call instead"
verify legacywdm

say "Its isolated KMDF twin (examples/kmdfiso): the same job through the isolation APIs"
verify kmdfiso

say "The difference"
# Per-rule counts from the two JSON reports (violations carry "rule", INF findings "code").
count() { grep -o "$2" "$work/$1.json" | wc -l; }
printf '  %-26s %8s %8s\n' finding legacywdm kmdfiso
for rule in $(grep -oh '"rule":"[A-Z-]*"' "$work/legacywdm.json" "$work/kmdfiso.json" | sort -u | cut -d'"' -f4); do
    printf '  %-26s %8d %8d\n' "$rule" "$(count legacywdm "\"rule\":\"$rule\"")" "$(count kmdfiso "\"rule\":\"$rule\"")"
done
for code in $(grep -oh '"code":[0-9]*' "$work/legacywdm.json" "$work/kmdfiso.json" | sort -u | cut -d: -f2); do
    printf '  %-26s %8d %8d\n' "INF $code" "$(count legacywdm "\"code\":$code")" "$(count kmdfiso "\"code\":$code")"
done
printf '  %-26s %8s %8s\n' result "$(grep -o '"result":"[a-z]*"' "$work/legacywdm.json" | cut -d'"' -f4)" \
    "$(grep -o '"result":"[a-z]*"' "$work/kmdfiso.json" | cut -d'"' -f4)"
say "Where each driver left its state (the machines verify kept)"
query() {
    local name=$1
    shift
    printf '+ pnpbox --machine %s reg query %s\n' "$name-machine" "$*"
    "$pnpbox" --machine "$work/$name-machine" reg query "$@" | sed -e '/^$/d' -e 's/^/    /'
}
files() {
    local name=$1
    printf '+ files of %s on its C:\\ volume\n' "$name"
    (cd "$work/$name-machine/volume" && find . -path "*$name*" -type f | sort | sed -e 's|^\./|    C:\\|' -e 's|/|\\|g')
}
query legacywdm 'HKLM\SYSTEM\CurrentControlSet\Services\legacywdm' /s
query legacywdm 'HKLM\SOFTWARE\Contoso\LegacyWdm'
files legacywdm
echo
query kmdfiso 'HKLM\SYSTEM\CurrentControlSet\Services\kmdfiso' /s
query kmdfiso 'HKLM\SYSTEM\CurrentControlSet\Enum\ROOT\KMDFISO\0000\Device Parameters'
files kmdfiso

cat <<'EOF'

legacywdm keeps its count in Parameters (which belongs to the INF), reads its
settings through a key it reopened by name, writes its log next to its binary
in System32\drivers, and its INF leaves a value under HKLM\SOFTWARE that no
package owns.  kmdfiso counts in its State key, reads Parameters (read-only)
with a State override, logs in its own ServiceState directory, and runs from
the driver store; after the update its ImagePath points at the new store
folder.

Next: docs/tutorial.md walks legacywdm to isolation one rule at a time;
`pnpbox explain RULE-ID` teaches a rule; docs/rules.md lists them all.
EOF
