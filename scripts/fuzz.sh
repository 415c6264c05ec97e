#!/bin/sh
# Runs every libFuzzer harness of a fuzz build (make fuzz) for a bounded time.
#   scripts/fuzz.sh BUILD_DIR [SECONDS_EACH] [HARNESS...]
# Each harness starts from its seed corpus, tests/fuzz/corpus/<name>/ (only read), and
# keeps what it finds in BUILD_DIR/fuzz-corpus/<name>/. A crash, leak, timeout or
# out-of-memory input is written to BUILD_DIR/fuzz-artifacts/<name>/; to keep one as a
# regression, fix the bug and copy the file into tests/fuzz/corpus/<name>/ (ctest
# replays it from then on). Exits non-zero when any harness failed.
set -eu
build=${1:?usage: scripts/fuzz.sh BUILD_DIR [SECONDS_EACH] [HARNESS...]}
secs=${2:-60}
[ $# -ge 2 ] && shift 2 || shift $#
src=$(cd "$(dirname "$0")/.." && pwd)
list=${*:-$(cat "$build/fuzz/harnesses.txt")}
failed=""
for name in $list; do
    bin="$build/fuzz/fuzz_$name"
    [ -x "$bin" ] || { echo "fuzz: no harness $bin (make fuzz builds them)" >&2; exit 2; }
    work="$build/fuzz-corpus/$name"
    art="$build/fuzz-artifacts/$name"
    mkdir -p "$work" "$art"
    echo "fuzz: $name for ${secs}s" >&2
    # -timeout: one input may take at most 10 s (a pathological regex, say);
    # -rss_limit_mb / -malloc_limit_mb: a single input may not take more than 2 GB.
    if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
        -max_len=65536 -dict="$src/tests/fuzz/json.dict" -artifact_prefix="$art/" \
        -print_final_stats=1 "$work" "$src/tests/fuzz/corpus/$name" >"$build/fuzz-$name.log" 2>&1; then
        failed="$failed $name"
        echo "fuzz: $name FAILED: $(ls "$art" | head -3 | tr '\n' ' ')(log: $build/fuzz-$name.log)" >&2
    else
        grep -E '^stat::number_of_executed_units' "$build/fuzz-$name.log" | sed "s/^/fuzz: $name: /" >&2 || true
    fi
done
if [ -n "$failed" ]; then
    echo "fuzz: failed:$failed" >&2
    exit 1
fi
echo "fuzz: all harnesses ran ${secs}s without a finding" >&2
