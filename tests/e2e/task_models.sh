# End to end: the project config's per-task model lists and enabled flags steer `run`.
. "$(dirname "$0")/lib/common.sh"
export LLMT_HISTORY_DB="$WORK/h.db"
cd "$WORK" || exit 1
pairs() { jq -r '.results[] | .task + " " + .provider + ":" + .model' "$1" | sort | uniq -c | tr -s ' '; }

cat >llm-tester.json <<JSON
{"config_version": 2, "tasks_dir": "$LLMT_SOURCE_DIR/examples/tasks", "models": ["mock:oracle"],
 "tasks": {"job_ads": {"models": ["mock:noisy"]}}}
JSON
run_cli 0 run -q --output o1
pairs o1/results.json >p1
check "job_ads runs only its own model" grep -q " 4 job_ads mock:noisy" p1
check "job_ads does not run the default" sh -c "! grep -q 'job_ads mock:oracle' p1"
check "other tasks run the default models" grep -q " 4 product_descriptions mock:oracle" p1
check "nothing else ran" test "$(wc -l <p1)" -eq 2

cat >llm-tester.json <<JSON
{"config_version": 2, "tasks_dir": "$LLMT_SOURCE_DIR/examples/tasks", "models": ["mock:oracle"],
 "tasks": {"product_descriptions": {"enabled": false}}}
JSON
run_cli 0 run -q --output o2
check "a disabled task runs nothing" test "$(jq '[.results[] | select(.task == "product_descriptions")] | length' o2/results.json)" -eq 0
check "the others still run" test "$(jq '.results | length' o2/results.json)" -eq 4
run_cli 0 run -q --output o3 --models mock:noisy
check "--models on the command line applies to every task" test "$(jq '[.results[] | select(.model == "noisy")] | length' o3/results.json)" -eq 8
finish
