# End to end: merge joins separate outputs into one, keeping each result once.
. "$(dirname "$0")/lib/common.sh"
T="$LLMT_SOURCE_DIR/examples/tasks"
export LLMT_HISTORY_DB="$WORK/h.db"

run_cli 0 run --tasks "$T" --models mock:oracle,mock:noisy --seed 5 --filter job_ads --output "$WORK/s1"
run_cli 0 run --tasks "$T" --models mock:oracle,mock:noisy --seed 5 --filter product_descriptions --output "$WORK/s2"
run_cli 0 run --tasks "$T" --models mock:oracle,mock:noisy --seed 5 --output "$WORK/all"
run_cli 0 merge "$WORK/s1" "$WORK/s2/results.jsonl" --output "$WORK/m" --format json,md,csv
check "every result once" test "$(lines "$WORK/m/results.jsonl")" -eq 16
check "merged summary equals a single run's" test \
    "$(jq -c '[.summary[] | [.model, .cases, .mean_accuracy, .total_tokens]]' "$WORK/m/results.json")" = \
    "$(jq -c '[.summary[] | [.model, .cases, .mean_accuracy, .total_tokens]]' "$WORK/all/results.json")"
run_cli 0 merge "$WORK/s1" "$WORK/s1" --output "$WORK/m2"
check "duplicates kept once" test "$(lines "$WORK/m2/results.jsonl")" -eq 8
check "duplicates reported" contains "$WORK/err" "more than one input"
before=$(cat "$WORK/s1/results.jsonl" | wc -c)
run_cli 2 merge "$WORK/s1" --output "$WORK/s1"
check "an input is never overwritten" test "$(cat "$WORK/s1/results.jsonl" | wc -c)" -eq "$before"
run_cli 2 merge "$WORK/nothing" --output "$WORK/m3"
check "missing input named" contains "$WORK/err" "$WORK/nothing"
run_cli 2 merge "$WORK/s1"

# --shard K/N: deterministic, disjoint, together the whole run
for k in 1 2 3; do
    run_cli 0 run --tasks "$T" --models mock:oracle,mock:noisy --seed 5 --shard "$k/3" --output "$WORK/sh$k"
done
check "shards split 8 cases as 3+3+2" test "$(cat "$WORK"/sh1/results.jsonl "$WORK"/sh2/results.jsonl "$WORK"/sh3/results.jsonl | wc -l)" -eq 16
for k in 1 2 3; do
    check "shard $k: results.json holds the lines of its results.jsonl" test \
        "$(jq -c '.results[]' "$WORK/sh$k/results.json")" = "$(jq -c . "$WORK/sh$k/results.jsonl")"
done
check "shards are disjoint" test "$(cat "$WORK"/sh*/results.jsonl | jq -r '.task + "/" + .case + " " + .model' | sort | uniq -d | wc -l)" -eq 0
run_cli 0 run --tasks "$T" --models mock:oracle,mock:noisy --seed 5 --shard 2/3 --output "$WORK/sh2b"
check "a shard is deterministic" test \
    "$(jq -c '[.results[] | [.task, .case, .model, .accuracy]]' "$WORK/sh2/results.json")" = \
    "$(jq -c '[.results[] | [.task, .case, .model, .accuracy]]' "$WORK/sh2b/results.json")"
run_cli 0 merge "$WORK/sh1" "$WORK/sh2" "$WORK/sh3" --output "$WORK/shm"
check "merged shards equal the unsharded run" test \
    "$(jq -c '[.summary[] | [.model, .cases, .mean_accuracy, .total_tokens]]' "$WORK/shm/results.json")" = \
    "$(jq -c '[.summary[] | [.model, .cases, .mean_accuracy, .total_tokens]]' "$WORK/all/results.json")"
run_cli 2 run --tasks "$T" --models mock:oracle --shard 4/3
check "bad shard named" contains "$WORK/err" "4/3"
run_cli 2 run --tasks "$T" --models mock:oracle --shard x
finish
