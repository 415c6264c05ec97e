# Helpers of the run --batch end-to-end tests (sourced after common.sh).
: "${FAKE_HTTP_SERVER:?FAKE_HTTP_SERVER must point to the fake-http-server program}"
IDS="python3 $LLMT_SOURCE_DIR/tests/e2e/lib/batch_ids.py"

# three cases of job_ads in $T; their names in $CASES
T="$WORK/tasks"
mkdir -p "$T"
cp -R "$LLMT_SOURCE_DIR/examples/tasks/job_ads" "$T/"
rm -f "$T"/job_ads/tests/*/senior_backend_engineer.*
CASES="data_analyst_internship ml_engineer_remote nurse_part_time"

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
