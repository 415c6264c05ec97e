# End to end: runs are recorded in SQLite; history list/show/compare and recommend.
. "$(dirname "$0")/lib/common.sh"
T="$LLMT_SOURCE_DIR/examples/tasks"
export LLMT_HISTORY_DB="$WORK/h.db"

run_cli 2 history list
check "no history yet is explained" contains "$WORK/err" "no run history"
run_cli 0 run --tasks "$T" --models mock:oracle,mock:noisy --seed 1 --output "$WORK/a" --label first
run_cli 0 run --tasks "$T" --models mock:oracle,mock:noisy --seed 2 --output "$WORK/b" --label second
run_cli 0 run --tasks "$T" --models mock:oracle --no-history
run_cli 0 history list --json
check "two runs recorded (--no-history respected)" test "$(jq length "$WORK/out")" -eq 2
check "newest first" test "$(jq -r '.[0].label' "$WORK/out")" = second
A=$(jq -r '.[1].run_id' "$WORK/out")
B=$(jq -r '.[0].run_id' "$WORK/out")
check "recorded summary equals results.json" test \
    "$(jq '.[1].models[] | select(.model=="mock:noisy") | .mean_accuracy' "$WORK/out")" = \
    "$(jq '.summary[] | select(.model=="mock:noisy") | .mean_accuracy' "$WORK/a/results.json")"
run_cli 0 history compare "$A" "$B" --json
DELTA=$(jq '.models[] | select(.model=="mock:noisy") | .delta_accuracy' "$WORK/out")
WANT=$(jq -n --slurpfile a "$WORK/a/results.json" --slurpfile b "$WORK/b/results.json" \
    '($b[0].summary[] | select(.model=="mock:noisy") | .mean_accuracy) - ($a[0].summary[] | select(.model=="mock:noisy") | .mean_accuracy)')
check "compare delta is B - A" jq -n "($DELTA - $WANT) | fabs < 1e-9" -e
check "oracle cases never change" test "$(jq '[.cases[] | select(.model=="mock:oracle")] | length' "$WORK/out")" -eq 0
CHANGED=$(jq -n --slurpfile a "$WORK/a/results.json" --slurpfile b "$WORK/b/results.json" \
    '[range($a[0].results | length) as $i | select($a[0].results[$i].accuracy != $b[0].results[$i].accuracy)] | length')
check "every changed case is listed" test "$(jq '.cases | length' "$WORK/out")" -eq "$CHANGED"
run_cli 0 history compare
check "compare defaults to previous vs latest" contains "$WORK/out" "$B"
run_cli 0 history show latest --json
check "show latest" test "$(jq -r .run_id "$WORK/out")" = "$B"
run_cli 2 history show nosuchrun
check "unknown run named" contains "$WORK/err" "nosuchrun"
run_cli 0 recommend --json
check "oracle is on the Pareto front" test "$(jq '.models[] | select(.model=="mock:oracle") | .pareto' "$WORK/out")" = true
check "sorted by accuracy" test "$(jq -r '.models[0].model' "$WORK/out")" = mock:oracle
run_cli 2 history frob
finish
