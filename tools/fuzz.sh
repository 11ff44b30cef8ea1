#!/usr/bin/env bash
# fuzz.sh SECONDS: build the INF parser/linter fuzz target with libFuzzer
# (clang, ASan+UBSan) and run it for a bounded time over the seed corpus in
# tests/fuzz/seed.  Any crash, leak, sanitizer report or timeout fails (exit
# status non-zero); the input that failed is left in $BUILD/fuzz/.  Called
# by `make fuzz FUZZ_SECONDS=N`, which .ci/run uses from a clean clone.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
[[ "$secs" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: SECONDS must be a number, not '$secs'" >&2; exit 2; }
tools/deps.sh clang libclang-rt-14-dev
out=${BUILD:-build}/fuzz
mkdir -p "$out/corpus"
CC=clang
command -v "$CC" >/dev/null || CC=clang-14
echo "fuzz: building $out/fuzz_inf"
$CC -std=c11 -fshort-wchar -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I. -Iinclude -D_GNU_SOURCE \
    base/*.c emu/inf_*.c tests/fuzz/fuzz_inf.c -o "$out/fuzz_inf"
echo "fuzz: running for ${secs}s"
# New inputs go to $out/corpus; the checked-in seeds are only read.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
"$out/fuzz_inf" -max_total_time="$secs" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$out/" -print_final_stats=1 "$out/corpus" tests/fuzz/seed
