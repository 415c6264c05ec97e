# End to end: the CLI on the bundled example tasks with the mock provider.
. "$(dirname "$0")/lib/common.sh"
T="$LLMT_SOURCE_DIR/examples/tasks"

# oracle scores 100 on every case, results.json has the documented shape
run_cli 0 run --tasks "$T" --models mock:oracle --output "$WORK/o1" --format md,json
check "results.json exists" test -s "$WORK/o1/results.json"
check "report.md exists" test -s "$WORK/o1/report.md"
check "results.jsonl has one line per case" test "$(lines "$WORK/o1/results.jsonl")" -eq 8
check "oracle scores 100 on every case" \
    test "$(jq '[.results[] | select(.accuracy != 100)] | length' "$WORK/o1/results.json")" -eq 0
check "oracle answers are valid" \
    test "$(jq '[.results[] | select(.valid != true)] | length' "$WORK/o1/results.json")" -eq 0
check "result fields present" \
    test "$(jq '[.results[] | has("task","case","provider","model","accuracy","valid","usage","latency_ms","error","answer")] | all' "$WORK/o1/results.json")" = true
check "usage has tokens and cost" \
    test "$(jq '[.results[] | .usage.input_tokens > 0 and .usage.output_tokens > 0 and .usage.cost_usd > 0] | all' "$WORK/o1/results.json")" = true
check "top-level fields" test "$(jq '[has("run_id","started_at","finished_at","results","summary")] | all' "$WORK/o1/results.json")" = true
check "summary per model" test "$(jq '.summary | length' "$WORK/o1/results.json")" -eq 1
check "summary mean accuracy 100" test "$(jq '.summary[0].mean_accuracy' "$WORK/o1/results.json")" = 100
check "summary cost equals the sum of result costs" \
    test "$(jq '((.summary[0].total_cost_usd - ([.results[].usage.cost_usd] | add)) | fabs) < 1e-12' "$WORK/o1/results.json")" = true
check "table on stdout" contains "$WORK/out" "mock:oracle"
check "table shows the cases" contains "$WORK/out" "senior_backend_engineer"

# noisy with a fixed seed: same numbers twice, below 100
run_cli 0 run --tasks "$T" --models mock:noisy --seed 7 --output "$WORK/n1"
run_cli 0 run --tasks "$T" --models mock:noisy --seed 7 --output "$WORK/n2"
jq -c '[.results[] | [.case, .accuracy, .answer]]' "$WORK/n1/results.json" >"$WORK/a1"
jq -c '[.results[] | [.case, .accuracy, .answer]]' "$WORK/n2/results.json" >"$WORK/a2"
check "noisy is deterministic for a seed" cmp -s "$WORK/a1" "$WORK/a2"
check "noisy scores below 100" test "$(jq '.summary[0].mean_accuracy < 100' "$WORK/n1/results.json")" = true
run_cli 0 run --tasks "$T" --models mock:noisy --seed 8 --output "$WORK/n3"
jq -c '[.results[] | [.case, .accuracy, .answer]]' "$WORK/n3/results.json" >"$WORK/a3"
check "another seed gives other answers" sh -c "! cmp -s '$WORK/a1' '$WORK/a3'"

# several models, comma list, filter
run_cli 0 run --tasks "$T" --models mock:oracle,mock:noisy --filter job_ads/nurse --output "$WORK/f"
check "filter keeps one case × two models" test "$(jq '.results | length' "$WORK/f/results.json")" -eq 2

# errors: one line on stderr, exit 2
run_cli 2 run --tasks "$T" --models mock:oracle --bogus
check "unknown option named" contains "$WORK/err" "--bogus"
check "error is one line" test "$(lines "$WORK/err")" -eq 1
run_cli 2 run --tasks "$WORK/nope" --models mock:oracle
check "missing tasks dir named" contains "$WORK/err" "$WORK/nope"
run_cli 2 run --tasks "$T" --models nosuch:model
check "unknown provider named" contains "$WORK/err" "unknown provider 'nosuch'"
run_cli 2 run --tasks "$T" --models mock:gpt-9
check "unknown model named" contains "$WORK/err" "unknown model 'gpt-9'"
# without --models a provider whose key is set would run: no key may be set here
(for k in OPENAI_API_KEY ANTHROPIC_API_KEY GEMINI_API_KEY MISTRAL_API_KEY OPENROUTER_API_KEY; do unset "$k"; done
 "$LLMT_BIN" run --tasks "$T" >"$WORK/out" 2>"$WORK/err"; test $? -eq 2) && ok || bad "run without models and keys: exit 2"
check "missing --models explained" contains "$WORK/err" "--models"
run_cli 2 frobnicate
check "unknown command named" contains "$WORK/err" "frobnicate"

# a source without an expected answer is reported, not skipped
mkdir -p "$WORK/tasks/t1/tests/sources" "$WORK/tasks/t1/tests/expected"
echo '{"type":"object"}' >"$WORK/tasks/t1/schema.json"
echo 'text' >"$WORK/tasks/t1/tests/sources/c1.txt"
run_cli 2 run --tasks "$WORK/tasks" --models mock:oracle
check "missing expected file named" contains "$WORK/err" "c1"
run_cli 2 list --tasks "$WORK/tasks"
check "list reports it too" contains "$WORK/err" "no expected answer"

# a malformed expected file: the result names it, the run exits 2 (input, not provider)
mkdir -p "$WORK/tasks2/t2/tests/sources" "$WORK/tasks2/t2/tests/expected"
echo '{"type":"object"}' >"$WORK/tasks2/t2/schema.json"
echo 'text' >"$WORK/tasks2/t2/tests/sources/c1.txt"
echo '{"x": ' >"$WORK/tasks2/t2/tests/expected/c1.json"
run_cli 2 run --tasks "$WORK/tasks2" --models mock:oracle --output "$WORK/bad"
check "the malformed file is named" contains "$WORK/err" "tests/expected/c1.json"
check "it is called an input problem" contains "$WORK/err" "unreadable case files"
check "the result is still written" test "$(lines "$WORK/bad/results.jsonl")" -eq 1

# help and list
run_cli 0 --help
check "help lists run" contains "$WORK/out" "run"
for cmd in run list score providers models config; do
    run_cli 0 "$cmd" --help
    check "$cmd --help has an example" contains "$WORK/out" "Examples:"
done
run_cli 0 list --tasks "$T" --models mock:oracle
check "list shows cases" contains "$WORK/out" "product_descriptions/cast_iron_skillet"
run_cli 0 providers list
check "providers list shows mock" contains "$WORK/out" "mock"
run_cli 0 models list mock
check "models list shows oracle" contains "$WORK/out" "oracle"
check "models list shows costs" contains "$WORK/out" "0.1500"
run_cli 2 models list nosuch

# config validate: good and bad files
run_cli 0 config validate
cat >"$WORK/bad.json" <<'JSON'
{"name": "x", "env_key": "", "llm_models": [
  {"name": "a", "default": true, "cost_input": -1, "cost_output": 1},
  {"name": "a", "default": true}]}
JSON
run_cli 2 config validate "$WORK/bad.json"
check "negative cost named with path" contains "$WORK/err" "$WORK/bad.json: /llm_models/0/cost_input"
check "duplicate named" contains "$WORK/err" "duplicate model name 'a'"
check "two defaults named" contains "$WORK/err" "more than one default"

finish
