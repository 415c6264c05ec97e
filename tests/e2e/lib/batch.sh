# Helpers of the run --batch end-to-end tests (sourced after common.sh).
: "${FAKE_HTTP_SERVER:?FAKE_HTTP_SERVER must point to the fake-http-server program}"
IDS="python3 $LLMT_SOURCE_DIR/tests/e2e/lib/batch_ids.py"
unset http_proxy HTTP_PROXY all_proxy ALL_PROXY

# three cases of job_ads in $T; their names in $CASES
T="$WORK/tasks"
mkdir -p "$T"
cp -R "$LLMT_SOURCE_DIR/examples/tasks/job_ads" "$T/"
rm -f "$T"/job_ads/tests/*/senior_backend_engineer.*
CASES="data_analyst_internship ml_engineer_remote nurse_part_time"

# start_server SCRIPT LOG: sets $pid and $base
start_server() {
    rm -f "$WORK/port"
    "$FAKE_HTTP_SERVER" --script "$1" --log "$2" --port-file "$WORK/port" >/dev/null &
    pid=$!
    i=0
    while [ ! -s "$WORK/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    base="http://127.0.0.1:$(cat "$WORK/port")"
}
stop_server() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
# count LOG METHOD PATH_REGEX: requests of the log that match
count() { jq -r --arg m "$2" --arg p "$3" 'select(.method == $m and (.path | test($p)))' "$1" | jq -s length; }
# sum_cost DIR: the run's total cost
sum_cost() { jq '[.results[].usage.cost_usd] | add' "$1/results.json"; }
# half A B: B is half of A (and not 0)
half() { test "$(jq -n --argjson a "$1" --argjson b "$2" '(($a / 2) - $b | fabs) < 1e-12 and $b > 0')" = true; }

# kill_after_submit DIR FILE_WITH_ID ARGS...: starts `llm-tester ARGS`, waits until the
# batch id is in DIR/batches.jsonl, then kills the process (as a crash would)
kill_after_submit() {
    dir=$1; id=$2; shift 2
    "$LLMT_BIN" "$@" >/dev/null 2>&1 &
    runner=$!
    i=0
    while ! grep -q "$id" "$dir/batches.jsonl" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
    kill -9 "$runner" 2>/dev/null
    wait "$runner" 2>/dev/null
}

# torn_copy SRC DST: DST is SRC as a kill while the results were being recorded leaves
# it: results.jsonl keeps its first line whole and half of its second, the rest is lost
torn_copy() {
    rm -rf "$2"
    cp -R "$1" "$2"
    head -n 1 "$1/results.jsonl" >"$2/results.jsonl"
    sed -n 2p "$1/results.jsonl" | head -c 60 >>"$2/results.jsonl"
}
# one_result_per_case DIR: results.jsonl holds exactly one line for each of the 3 cases
one_result_per_case() {
    test "$(lines "$1/results.jsonl")" -eq 3 &&
        test "$(jq -r '.case' "$1/results.jsonl" | sort -u | wc -l | tr -d ' ')" -eq 3
}
# resume_logged EXIT DIR LOG OUT: `run --resume DIR --batch` expecting EXIT; the requests
# it sent (the lines LOG gained) go to OUT
resume_logged() {
    n_before=$(lines "$3")
    run_cli "$1" run -q --no-history --tasks "$T" --models "$M" --resume "$2" --batch --batch-poll 0.02
    tail -n +"$((n_before + 1))" "$3" >"$4"
}
# resume_torn SRC DST LOG: --resume DST --batch after torn_copy SRC DST; the requests it
# sent are left in $WORK/torn.jsonl (the lines LOG gained). Then checks that every case
# has exactly one result, and that resuming once more sends nothing at all.
resume_torn() {
    torn_copy "$1" "$2"
    resume_logged 0 "$2" "$3" "$WORK/torn.jsonl"
    check "resume after a torn recording: one result per case" one_result_per_case "$2"
    check "resume after a torn recording: every result from the batch" \
        test "$(jq -s '[.[] | select(.batch == true)] | length' "$2/results.jsonl")" -eq 3
    resume_logged 0 "$2" "$3" "$WORK/again.jsonl"
    check "resume of a complete batch run contacts nothing" test "$(lines "$WORK/again.jsonl")" -eq 0
    check "and still one result per case" one_result_per_case "$2"
}
