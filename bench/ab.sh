#!/bin/sh
# A/B request-rate benchmark: two builds of llm-tester against the same bare libcurl
# multi loop, interleaved round by round (see bench/README.md, "Comparing two builds").
#   bench/ab.sh BUILD_A BUILD_B [ROUNDS]     (ROUNDS default 20)
# Each round runs the baseline, then A and B in alternating order, on the same
# 10,000 one-line cases and the same instant stub (BUILD_A's stub and baseline). It
# prints each round's two ratios and, at the end, the median and range of each, and of
# B's rate over A's in the same round (the paired comparison, least moved by load).
# BENCH_CASES changes the number of cases.
set -eu
A=$(cd "${1:?usage: bench/ab.sh BUILD_A BUILD_B [ROUNDS]}" && pwd)
B=$(cd "${2:?usage: bench/ab.sh BUILD_A BUILD_B [ROUNDS]}" && pwd)
ROUNDS=${3:-20}
N=${BENCH_CASES:-10000}
for b in "$A/llm-tester" "$B/llm-tester" "$A/bench/stub-server" "$A/bench/curl-baseline"; do
    [ -x "$b" ] || { echo "bench: $b is missing" >&2; exit 1; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/llmt-ab.XXXXXX")
STUB_PID=
cleanup() { [ -n "$STUB_PID" ] && kill "$STUB_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM

STUB="$A/bench/stub-server"
. "$(dirname "$0")/lib.sh"
make_tasks "$N" "$WORK/tasks"
start_stub 0
# run BUILD -> prints requests per second of one llm-tester run
run() {
    rm -rf "$WORK/out"; sync
    find "$WORK/tasks" -type f -exec cat {} + >/dev/null
    t0=$(now)
    LLMT_OPENAI_BASE_URL="http://127.0.0.1:$PORT/v1" OPENAI_API_KEY=bench-key \
        "$1/llm-tester" run --tasks "$WORK/tasks" --models openai:gpt-4o-mini --concurrency 64 \
        --output "$WORK/out" --format json --no-history -q --max-retries 0 \
        --provider-limit openai:concurrency=0,rpm=0,tpm=0 >/dev/null 2>"$WORK/err" ||
        { echo "bench: $1/llm-tester failed:" >&2; tail -5 "$WORK/err" >&2; exit 1; }
    t1=$(now)
    ! grep -q '"error":{' "$WORK/out/results.jsonl" ||
        { echo "bench: failed calls in a run of $1" >&2; exit 1; }
    echo "$N $t1 $t0" | awk '{printf "%.1f", $1 / ($2 - $3)}'
}

echo "A/B request rate: A=$A B=$B, $N cases, concurrency 64, $ROUNDS rounds, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "round  baseline req/s  A req/s  B req/s  ratio A  ratio B      B/A"
: >"$WORK/rounds"
r=1
while [ $r -le "$ROUNDS" ]; do
    sync
    BASE=$("$A/bench/curl-baseline" "http://127.0.0.1:$PORT/v1/chat/completions" "$N" 64 | sed 's/.*rate=//')
    if [ $((r % 2)) -eq 1 ]; then RA=$(run "$A"); RB=$(run "$B"); else RB=$(run "$B"); RA=$(run "$A"); fi
    echo "$r $BASE $RA $RB" | awk '{printf "%5d  %14s  %7s  %7s  %7.3f  %7.3f  %7.3f\n", $1, $2, $3, $4, $3 / $2, $4 / $2, $4 / $3}' |
        tee -a "$WORK/rounds"
    r=$((r + 1))
done
# summary COLUMN NAME: median and range of one column of the rounds
summary() {
    awk -v c="$1" '{print $c}' "$WORK/rounds" | sort -n | awk -v name="$2" '
        { v[NR] = $1 }
        END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              printf "%s: median %.2f (range %.2f-%.2f over %d rounds)\n", name, m, v[1], v[NR], NR }'
}
summary 5 "ratio A (llm-tester A / curl multi)"
summary 6 "ratio B (llm-tester B / curl multi)"
summary 7 "B / A in the same round (paired)"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
