#!/bin/sh
# Run-engine benchmark: prints ratios measured in this one run (see bench/README.md).
#   bench/run.sh BUILD_DIR            (`make bench` does this)
# Environment: BENCH_MODEL (default openai:gpt-4o-mini), BENCH_QUICK=1 for smaller sizes,
# BENCH_ROUNDS (default 5) rounds of the request-rate pair, the median reported.
# Needs: BUILD_DIR/llm-tester, BUILD_DIR/bench/{stub-server,curl-baseline,engine-bench},
# /usr/bin/time (GNU) for peak RSS, awk. When BENCH_MODEL's provider is not built in,
# engine-bench (the same runner with a minimal OpenAI-format provider) stands in for
# `llm-tester run`, and the output says so.
set -eu
BUILD=${1:?usage: bench/run.sh BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
LLMT="$BUILD/llm-tester"
STUB="$BUILD/bench/stub-server"
BASE="$BUILD/bench/curl-baseline"
EBENCH="$BUILD/bench/engine-bench"
MODEL=${BENCH_MODEL:-openai:gpt-4o-mini}
for b in "$LLMT" "$STUB" "$BASE"; do
    [ -x "$b" ] || { echo "bench: $b is missing (build first: make build)" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "bench: GNU time (/usr/bin/time) is needed for peak RSS" >&2; exit 1; }
PROVIDER=${MODEL%%:*}
MODE=cli
if ! "$LLMT" models list "$PROVIDER" >/dev/null 2>&1; then
    [ -x "$EBENCH" ] || { echo "bench: provider '$PROVIDER' is not built in and $EBENCH is missing" >&2; exit 1; }
    MODE=engine-bench
    echo "bench: provider '$PROVIDER' is not built in: measuring engine-bench instead of llm-tester run" >&2
fi
N_RATE=10000; N_DELAY=1000; N_SMALL=1000; N_BIG=100000
ROUNDS=${BENCH_ROUNDS:-5}
if [ "${BENCH_QUICK:-0}" = 1 ]; then N_RATE=2000; N_BIG=10000; fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/llmt-bench.XXXXXX")
STUB_PID=
cleanup() { [ -n "$STUB_PID" ] && kill "$STUB_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM

. "$(dirname "$0")/lib.sh"

# warm TASKS: reads every case file once. The bare loop reads no files, so llm-tester
# must not be timed against the disk either: this machine's kernel (DAMON reclaim)
# pages out files unused for a few seconds, and a cold first round read 7.6 MB from
# disk. With the page cache dropped a 10,000-case run took 2.5-3.1 s instead of
# about 0.4 s. Cold-cache runs are not what these ratios measure.
warm() { find "$1" -type f -exec cat {} + >/dev/null; }

# quiesce: writes back what earlier runs left dirty (each llm-tester run leaves ~7 MB of
# results, and deleting the previous output frees as much), so that the kernel's
# writeback does not land in the next timed run, whichever it is. Rounds paired this
# way varied about half as much.
quiesce() { sync; }

# run_llmt TASKS CONCURRENCY OUT -> wall seconds in $WALL, peak RSS KB in $RSS
run_llmt() {
    rm -rf "$3"
    quiesce
    warm "$1"
    t0=$(now)
    if [ "$MODE" = cli ]; then
        env "LLMT_$(echo "$PROVIDER" | tr a-z- A-Z_)_BASE_URL=http://127.0.0.1:$PORT/v1" \
            "$(echo "$PROVIDER" | tr a-z- A-Z_)_API_KEY=bench-key" \
            /usr/bin/time -f %M -o "$WORK/rss" \
            "$LLMT" run --tasks "$1" --models "$MODEL" --concurrency "$2" --output "$3" \
            --format json --no-history -q --max-retries 0 \
            --provider-limit "$PROVIDER:concurrency=0,rpm=0,tpm=0" >"$WORK/llmt.out" 2>"$WORK/llmt.err" ||
            { echo "bench: llm-tester failed:" >&2; tail -5 "$WORK/llmt.err" >&2; exit 1; }
    else
        /usr/bin/time -f %M -o "$WORK/rss" "$EBENCH" "$1" "http://127.0.0.1:$PORT/v1" "$2" "$3" \
            >"$WORK/llmt.out" 2>"$WORK/llmt.err" ||
            { echo "bench: engine-bench failed:" >&2; tail -5 "$WORK/llmt.err" >&2; exit 1; }
    fi
    t1=$(now)
    WALL=$(echo "$t1 $t0" | awk '{printf "%.3f", $1 - $2}')
    RSS=$(tail -1 "$WORK/rss")
    errs=$(grep -c '"error":{' "$3/results.jsonl" || true)
    [ "$errs" -eq 0 ] || { echo "bench: $errs failed calls in $3 (stub port $PORT); first error:" >&2
        grep -m1 -o '"error":{[^}]*}' "$3/results.jsonl" >&2; exit 1; }
}

if [ "$MODE" = cli ]; then WHO="llm-tester run, $MODEL"; else WHO="engine-bench (no $PROVIDER provider built in)"; fi
echo "llm-tester run-engine benchmark: $(nproc) cores, $WHO, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "generating tasks..."
make_tasks "$N_RATE" "$WORK/t_rate"
make_tasks "$N_DELAY" "$WORK/t_delay"
make_tasks "$N_BIG" "$WORK/t_big"

# 1. request rate vs a bare libcurl multi loop, instant stub, concurrency 64: ROUNDS
# rounds of (baseline, llm-tester) back to back, one ratio per round, the median
# reported (on a shared machine a single pair can land on a busy moment)
start_stub 0
: >"$WORK/ratios"
r=0
while [ $r -lt "$ROUNDS" ]; do
    quiesce
    "$BASE" "http://127.0.0.1:$PORT/v1/chat/completions" "$N_RATE" 64 >"$WORK/base.out"
    BASE_RATE=$(sed 's/.*rate=//' "$WORK/base.out")
    run_llmt "$WORK/t_rate" 64 "$WORK/o_rate"
    OUR_RATE=$(echo "$N_RATE $WALL" | awk '{printf "%.1f", $1 / $2}')
    echo "$OUR_RATE $BASE_RATE $WALL" | awk '{printf "%.4f %s %s %s\n", $1 / $2, $1, $2, $3}' >>"$WORK/ratios"
    r=$((r + 1))
done
# the median round (by ratio)
sort -n "$WORK/ratios" >"$WORK/ratios.sorted"
MID=$(( (ROUNDS + 1) / 2 ))
read -r RATIO OUR_RATE BASE_RATE RATE_WALL <<EOF_MID
$(sed -n "${MID}p" "$WORK/ratios.sorted")
EOF_MID
# 3. memory: 1,000 vs 100,000 cases (same stub)
run_llmt "$WORK/t_big" 64 "$WORK/o_big"
RSS_BIG=$RSS; BIG_WALL=$WALL
make_tasks "$N_SMALL" "$WORK/t_small"
run_llmt "$WORK/t_small" 64 "$WORK/o_small"
RSS_SMALL=$RSS
stop_stub

# 2. 200 ms stub, 1,000 cases, concurrency 50: ideal = 1000 / 50 * 0.2 s = 4 s
start_stub 200
run_llmt "$WORK/t_delay" 50 "$WORK/o_delay"
DELAY_WALL=$WALL
stop_stub
IDEAL=$(echo "$N_DELAY" | awk '{printf "%.3f", $1 / 50 * 0.2}')

echo
printf 'request rate, %d cases, concurrency 64, %d rounds (ratio per round:%s)\n' "$N_RATE" "$ROUNDS" \
    "$(awk '{printf " %.2f", $1}' "$WORK/ratios")"
printf '  median round: llm-tester %s req/s (%.2f s wall), curl multi %s req/s\n' \
    "$OUR_RATE" "$RATE_WALL" "$BASE_RATE"
echo "$RATIO" | awk '{printf "  ratio llm-tester / curl           = %.2f   (target >= 0.70)\n", $1}'
printf '200 ms stub, %d cases, concurrency 50: wall %s s, ideal %s s\n' "$N_DELAY" "$DELAY_WALL" "$IDEAL"
echo "$DELAY_WALL $IDEAL" | awk '{printf "  ratio wall / ideal                = %.2f   (target <= 1.20)\n", $1 / $2}'
printf 'peak RSS: %d cases %d KB (%.1f s wall), %d cases %d KB\n' "$N_BIG" "$RSS_BIG" "$BIG_WALL" "$N_SMALL" "$RSS_SMALL"
echo "$RSS_BIG $RSS_SMALL" | awk '{printf "  RSS difference                    = %.1f MB (target <= 50 MB)\n", ($1 - $2) / 1024}'
