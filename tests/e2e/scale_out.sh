# End to end: --shard auto reads each scheduler's variables, and every recipe in
# docs/scale-out.md, run locally with the variables its scheduler would set, gives exactly
# the results of one unsharded run once merged (same keys, scores and totals, --repeat 2).
. "$(dirname "$0")/lib/common.sh"
DOC="$LLMT_SOURCE_DIR/docs/scale-out.md"
RECIPE="python3 $LLMT_SOURCE_DIR/tests/e2e/lib/recipes.py $DOC"
export LLMT_HISTORY_DB="$WORK/h.db"
# the scheduler variables of the machine running the tests must not leak in
unset LLMT_SHARD LLMT_SHARD_COUNT JOB_COMPLETION_INDEX SLURM_ARRAY_TASK_ID \
    SLURM_ARRAY_TASK_COUNT SLURM_ARRAY_TASK_MIN SLURM_ARRAY_TASK_MAX SLURM_ARRAY_TASK_STEP PARALLEL_SEQ

# a project folder as the recipes expect: llm-tester.json names tasks and models
P="$WORK/proj"
mkdir -p "$P" "$WORK/bin"
cp -r "$LLMT_SOURCE_DIR/examples/tasks" "$P/tasks"
cat >"$P/llm-tester.json" <<'JSON'
{"config_version": 2, "tasks_dir": "tasks", "models": ["mock:oracle", "mock:noisy"],
 "run": {"repeat": 2, "seed": 11}}
JSON
ln -s "$LLMT_BIN" "$WORK/bin/llm-tester"
PATH="$WORK/bin:$PATH"
cd "$P" || exit 1
run_cli 0 run -q --output out-single

# the same results as the single run: every key with its score, and the per-model totals
results() { jq -c '[.results[] | [.task, .case, .model, .repeat, .accuracy, .valid]] | sort' "$1/results.json"; }
totals() { jq -c '[.summary[] | [.model, .cases, .errors, .valid, .mean_accuracy, .total_tokens, .total_cost_usd]] | sort' "$1/results.json"; }
same_as_single() {
    check "$1: every result of the single run, once" test "$(results out/all)" = "$(results out-single)"
    check "$1: the same summary as the single run" test "$(totals out/all)" = "$(totals out-single)"
    check "$1: four shards" test "$(ls -d out/shard-* | wc -l)" -eq 4
    rm -rf out logs shards
}
check "the single run has 32 results (8 cases x 2 models x 2 repeats)" \
    test "$(jq '.results | length' out-single/results.json)" -eq 32

# --- Kubernetes Indexed Job: JOB_COMPLETION_INDEX 0..completions-1, LLMT_SHARD_COUNT
script=$($RECIPE kubernetes k8s-script)
n=$($RECIPE kubernetes k8s-count)
$RECIPE kubernetes >"$WORK/k8s.yaml"
check "the manifest sets LLMT_SHARD_COUNT to its completions" \
    sh -c "grep -A1 LLMT_SHARD_COUNT '$WORK/k8s.yaml' | grep -q 'value: \"$n\"'"
i=0
while [ "$i" -lt "$n" ]; do
    JOB_COMPLETION_INDEX=$i LLMT_SHARD_COUNT=$n sh -c "$script" 2>"$WORK/err" || bad "k8s pod $i: $(cat "$WORK/err")"
    i=$((i + 1))
done
# a restarted pod resumes its shard: nothing left to send, nothing duplicated
JOB_COMPLETION_INDEX=1 LLMT_SHARD_COUNT=$n sh -c "$script" >"$WORK/out" 2>&1 || bad "restarted pod: $(cat "$WORK/out")"
check "a restarted pod finds nothing left" contains "$WORK/out" "Nothing left to run"
sh -c "$($RECIPE kubernetes-merge)" >/dev/null 2>"$WORK/err" || bad "k8s merge: $(cat "$WORK/err")"
same_as_single kubernetes

# --- Slurm job array: SLURM_ARRAY_TASK_ID over the --array range
set -- $($RECIPE slurm slurm-array)
first=$1 last=$2 step=$3
$RECIPE slurm >"$WORK/shards.sh"
count=$(( (last - first) / step + 1 ))
id=$first
mkdir -p logs
while [ "$id" -le "$last" ]; do
    SLURM_ARRAY_TASK_ID=$id SLURM_ARRAY_TASK_COUNT=$count SLURM_ARRAY_TASK_MIN=$first \
        SLURM_ARRAY_TASK_MAX=$last SLURM_ARRAY_TASK_STEP=$step sh "$WORK/shards.sh" 2>"$WORK/err" ||
        bad "slurm task $id: $(cat "$WORK/err")"
    id=$((id + step))
done
sh -c "$($RECIPE slurm-merge)" >/dev/null 2>"$WORK/err" || bad "slurm merge: $(cat "$WORK/err")"
same_as_single slurm

# --- GitHub Actions matrix: the shard job once per matrix value, artifacts as
# download-artifact lays them out (shards/<name>/), then the merge job
run_gha_job() { # JOB SHARD
    $RECIPE github gha "$1" | sed "s/\${{ matrix.shard }}/$2/g" | while IFS= read -r cmd; do
        case $cmd in
        ARTIFACT*) set -- $cmd; mkdir -p shards && cp -r "$3" "shards/$2" ;;
        *) sh -c "$cmd" >/dev/null 2>>"$WORK/err" || echo "FAILED: $cmd" >>"$WORK/err" ;;
        esac
    done
}
: >"$WORK/err"
for s in $($RECIPE github gha-matrix); do run_gha_job shard "$s"; done
run_gha_job merge ""
check "github: every step ran" sh -c "! grep -q FAILED '$WORK/err'"
same_as_single github

# --- xargs on one machine, explicit --shard K/N
sh -c "$($RECIPE xargs)" >/dev/null 2>"$WORK/err" || bad "xargs recipe: $(cat "$WORK/err")"
same_as_single xargs

# --- GNU parallel (PARALLEL_SEQ) and LLMT_SHARD, as --shard auto reads them
for k in 1 2 3 4; do
    PARALLEL_SEQ=$k LLMT_SHARD_COUNT=4 llm-tester run --shard auto --output "out/shard-$k" >/dev/null 2>"$WORK/err"
done
check "--shard auto names where it took the shard from" contains "$WORK/err" "shard 4/4 (from GNU parallel)"
llm-tester merge out/shard-1 out/shard-2 out/shard-3 out/shard-4 --output out/all >/dev/null 2>&1
same_as_single parallel
LLMT_SHARD=3/4 run_cli 0 run --shard auto --output out/x
check "LLMT_SHARD=3/4 runs shard 3 of 4" contains "$WORK/err" "shard 3/4 (from LLMT_SHARD)"
check "shard 3/4 holds a quarter of the results" test "$(lines out/x/results.jsonl)" -eq 8
rm -rf out

# --- errors name what was looked for or what is missing
run_cli 2 run --shard auto --output out/e
check "no scheduler: the variables looked for are named" contains "$WORK/err" "SLURM_ARRAY_TASK_ID"
JOB_COMPLETION_INDEX=2 run_cli 2 run --shard auto --output out/e
check "Kubernetes without LLMT_SHARD_COUNT says so" contains "$WORK/err" "LLMT_SHARD_COUNT"
JOB_COMPLETION_INDEX=4 LLMT_SHARD_COUNT=4 run_cli 2 run --shard auto --output out/e
check "an index beyond the count is refused" contains "$WORK/err" "outside 0..3"
SLURM_ARRAY_TASK_ID=3 run_cli 2 run --shard auto --output out/e
check "Slurm without a task count says so" contains "$WORK/err" "SLURM_ARRAY_TASK_COUNT"
LLMT_SHARD=5/4 run_cli 2 run --shard auto --output out/e
check "a bad LLMT_SHARD is named" contains "$WORK/err" "5/4"
check "nothing was written by a refused run" test ! -e out/e
finish
