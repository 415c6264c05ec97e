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

# tasks.<name>.path: a task kept outside the tasks folder joins the project's tasks
mkdir -p elsewhere
cp -r "$LLMT_SOURCE_DIR/examples/tasks/job_ads" elsewhere/hiring
mkdir -p only_products
cp -r "$LLMT_SOURCE_DIR/examples/tasks/product_descriptions" only_products/
cat >llm-tester.json <<JSON
{"config_version": 2, "tasks_dir": "only_products", "models": ["mock:oracle"],
 "tasks": {"hiring": {"path": "elsewhere/hiring", "models": ["mock:noisy"]}}}
JSON
run_cli 0 list
check "list shows the task from its path" grep -q "hiring (4 cases)" out
run_cli 0 run -q --output o4
pairs o4/results.json >p4
check "the task at its path runs with its own models" grep -q " 4 hiring mock:noisy" p4
check "the tasks folder's tasks run too" grep -q " 4 product_descriptions mock:oracle" p4
run_cli 0 run -q --output o5 --tasks only_products
check "--tasks leaves the project's task paths out" test "$(jq '[.results[] | select(.task == "hiring")] | length' o5/results.json)" -eq 0
cat >llm-tester.json <<JSON
{"config_version": 2, "tasks_dir": "only_products", "models": ["mock:oracle"],
 "tasks": {"product_descriptions": {"path": "elsewhere/hiring"}, "ghost": {"path": "nowhere"}}}
JSON
run_cli 2 run -q --output o6
check "a name taken twice is an error naming the setting" grep -q "/tasks/product_descriptions/path.*also a folder of the tasks folder" err
check "a missing task folder is an error naming the setting" grep -q "/tasks/ghost/path.*task folder '.*nowhere' does not exist" err
finish
