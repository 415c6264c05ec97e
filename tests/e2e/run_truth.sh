# End to end: what a model's row, the reports and the exit status mean (issue 13):
# fallback answers, means over answered cases, errors and skips, exit 3 and 130.
. "$(dirname "$0")/lib/common.sh"
T="$LLMT_SOURCE_DIR/examples/tasks"

# --- a fallback's answer is an error of the model under test
cat >"$WORK/auth.json" <<'JSON'
{"errors": [{"error": {"class": "auth", "http_status": 401, "message": "bad key"}, "models": ["noisy"]}]}
JSON
run_cli 3 run --tasks "$T" --models mock:noisy --fallback mock:oracle --mock-rules "$WORK/auth.json" \
    --output "$WORK/fb" --format md,json,csv,junit --no-history
J="$WORK/fb/results.json"
check "fallback: the model under test has 8 errors" test "$(jq '.summary[0].errors' "$J")" -eq 8
check "fallback: no mean for the model under test" test "$(jq '.summary[0].mean_accuracy' "$J")" = null
check "fallback: answered 0" test "$(jq '.summary[0].answered' "$J")" -eq 0
check "fallback: summarised under the fallback model" \
    test "$(jq -c '[.fallback_summary[] | [.model, .cases, .mean_accuracy]]' "$J")" = '[["mock:oracle",8,100]]'
check "fallback: every result says a fallback answered" \
    test "$(jq '[.results[] | select(.fallback == true and .answered_by == "mock:oracle")] | length' "$J")" -eq 8
check "fallback: the console row names the answerer" contains "$WORK/out" "FALLBACK"
check "fallback: the console table shows the fallback" grep -q "mock:oracle" "$WORK/out"
check "fallback: the class of the last failure is the error" contains "$WORK/err" "auth"
check "fallback: the summary row shows no mean" grep -qE '^mock:noisy +8 +8 .* -  ' "$WORK/out"
check "fallback: report.md marks it" contains "$WORK/fb/report.md" "fallback: mock:oracle"
check "fallback: report.md has the fallback section" contains "$WORK/fb/report.md" "Answered by fallbacks"
check "fallback: csv has the answered_by column" contains "$WORK/fb/results.csv" "answered_by"
check "fallback: csv rows name the answerer" contains "$WORK/fb/results.csv" "mock:oracle"
check "fallback: junit counts the errors" contains "$WORK/fb/junit.xml" 'errors="8"'
check "fallback: junit names the answerer" contains "$WORK/fb/junit.xml" "answered by fallback mock:oracle"

# --- one case fails after retries: the others are averaged, the failure is an error, exit 3
cat >"$WORK/one.json" <<'JSON'
{"errors": [{"contains": "Nurse", "error": {"class": "server", "http_status": 500}, "models": ["oracle"]}]}
JSON
run_cli 3 run --tasks "$T" --models mock:oracle --mock-rules "$WORK/one.json" --max-retries 1 \
    --filter job_ads --output "$WORK/one" --no-history
J="$WORK/one/results.json"
check "one error: counted" test "$(jq '.summary[0].errors' "$J")" -eq 1
check "one error: mean over answered cases only" test "$(jq '.summary[0].mean_accuracy' "$J")" = 100
check "one error: answered 3" test "$(jq '.summary[0].answered' "$J")" -eq 3
check "one error: the exit is explained" contains "$WORK/err" "without an answer"

# --- budget skips are SKIPPED, not averaged, and exit 3
run_cli 3 run --tasks "$T" --models mock:oracle --budget 0 --output "$WORK/bud" --no-history
J="$WORK/bud/results.json"
check "budget: skipped counted" test "$(jq '.summary[0].skipped' "$J")" -eq 8
check "budget: not errors" test "$(jq '.summary[0].errors' "$J")" -eq 0
check "budget: no mean" test "$(jq '.summary[0].mean_accuracy' "$J")" = null
check "budget: table shows -" grep -qE '^mock:oracle .* -  ' "$WORK/out"
check "budget: report.md shows -" grep -qE '^\| mock:oracle \| 8 \| 0 \| 8 \| .*\| - \|' "$WORK/bud/report.md"

# --- the budget reserves the bound each request states, not the model's whole limit:
# 8 cases at ~$0.0003 each fit in $0.01 (each reserved $0.0099 before)
run_cli 0 run --tasks "$T" --models mock:oracle --budget 0.01 --output "$WORK/bud2" --no-history
check "budget 0.01: every case ran" test "$(jq '.summary[0].answered' "$WORK/bud2/results.json")" -eq 8
mkdir -p "$WORK/mt" && cp -r "$T/job_ads" "$WORK/mt/" && echo '{"max_output_tokens": 100000}' >"$WORK/mt/job_ads/task.json"
run_cli 0 run --tasks "$WORK/mt" --models mock:oracle --dry-run
check "task.json max_output_tokens is the bound (capped at the model's 16384)" \
    grep -qE "^mock:oracle +4 " "$WORK/out"
check "dry run: 4 x 16384 output tokens at \$0.60/M" grep -qE '\$0\.0[0-9]+ - \$0\.0(39|40)' "$WORK/out"

# --- a reply that is not JSON is the model's fault: 0 %, averaged in, no error
cat >"$WORK/junk.json" <<'JSON'
{"rules": [{"contains": "Nurse", "reply": "I cannot help with that.", "models": ["rules"]}],
 "default": {"reply": "{}"}}
JSON
run_cli 0 run --tasks "$T" --models mock:rules --mock-rules "$WORK/junk.json" --filter nurse \
    --output "$WORK/junk" --no-history
J="$WORK/junk/results.json"
check "not JSON: the raw reply is kept" \
    test "$(jq -r '.raw_reply' "$WORK/junk/results.jsonl")" = "I cannot help with that."
check "not JSON: report.md shows the reply" contains "$WORK/junk/report.md" "I cannot help with that."
check "not JSON: answered, accuracy 0" test "$(jq -c '[.summary[0].answered, .summary[0].mean_accuracy, .summary[0].errors]' "$J")" = '[1,0,0]'

# --- money: cached answers are not money spent
export LLMT_CACHE_DB="$WORK/cache.db"
run_cli 0 run --tasks "$T" --models mock:noisy --seed 3 --cache readwrite --output "$WORK/c1" --no-history
paid1=$(jq '.summary[0].total_cost_usd' "$WORK/c1/results.json")
check "cache: the first run paid" test "$(jq -n "$paid1 > 0")" = true
run_cli 0 run --tasks "$T" --models mock:noisy --seed 3 --cache read --budget 0.000001 --output "$WORK/c2" --no-history
J="$WORK/c2/results.json"
check "cache: every result cached" test "$(jq '[.results[] | select(.cached == true)] | length' "$J")" -eq 8
check "cache: the original cost is kept" test "$(jq '[.results[] | .usage.cost_usd > 0] | all' "$J")" = true
check "cache: saved equals the original cost" test "$(jq '[.results[] | .usage.saved_usd == .usage.cost_usd] | all' "$J")" = true
check "cache: the run paid nothing" test "$(jq '.summary[0].total_cost_usd' "$J")" = 0
check "cache: the saving is summarised" test "$(jq -n "$(jq '.summary[0].saved_usd' "$J") == $paid1")" = true
check "cache: Total cost 0" contains "$WORK/out" 'Total cost: $0.000000 paid by this run'
check "cache: the budget was not touched" test "$(jq '.summary[0].skipped' "$J")" -eq 0
unset LLMT_CACHE_DB

# --- costs update: a catalog price of -1 is unknown, not $0
cat >"$WORK/catalog.json" <<'JSON'
{"data": [{"id": "router/auto", "name": "Auto", "context_length": 1000,
           "pricing": {"prompt": "-1", "completion": "-1"}}]}
JSON
mkdir -p "$WORK/proj" && echo '{"config_version": 2}' >"$WORK/proj/llm-tester.json"
cat_provider=$(cd "$WORK/proj" && "$LLMT_BIN" costs update --from "$WORK/catalog.json" --dry-run 2>/dev/null | sed -n 's/^catalog of \([^:]*\):.*/\1/p')
if [ -n "$cat_provider" ]; then
    (cd "$WORK/proj" && "$LLMT_BIN" costs update -v --from "$WORK/catalog.json" --dry-run >"$WORK/out" 2>"$WORK/err")
    check "costs update: -1 is unknown" contains "$WORK/out" "router/auto  price unknown"
    check "costs update: no \$0 price" sh -c "! grep -q 'router/auto  in 0.0000' '$WORK/out'"
fi

# --- an output folder with results is not overwritten by accident
run_cli 2 run --tasks "$T" --models mock:oracle --filter nurse --output "$WORK/junk" --no-history
check "existing results: the folder is named" contains "$WORK/err" "$WORK/junk already holds results.jsonl"
check "existing results: kept" test "$(jq -r '.raw_reply' "$WORK/junk/results.jsonl")" = "I cannot help with that."
run_cli 0 run --tasks "$T" --models mock:oracle --filter nurse --output "$WORK/junk" --overwrite --no-history
check "--overwrite replaces them" test "$(jq -r '.model' "$WORK/junk/results.jsonl")" = oracle

# --- a source that is not UTF-8 is refused, naming the file, before the mock sees it
mkdir -p "$WORK/u8/t/tests/sources" "$WORK/u8/t/tests/expected"
echo '{"type":"object"}' >"$WORK/u8/t/schema.json"
printf 'Caf\351 in Z\374rich\n' >"$WORK/u8/t/tests/sources/latin1.txt"
echo '{"a":1}' >"$WORK/u8/t/tests/expected/latin1.json"
echo 'fine' >"$WORK/u8/t/tests/sources/ok.txt"
echo '{"a":1}' >"$WORK/u8/t/tests/expected/ok.json"
run_cli 2 run --tasks "$WORK/u8" --models mock:oracle --output "$WORK/u8o" --no-history
check "not UTF-8: the file is named" contains "$WORK/err" "tests/sources/latin1.txt: not valid UTF-8"
check "not UTF-8: nothing answered it" test "$(jq -s '[.[] | select(.case == "latin1" and .answer != null)] | length' "$WORK/u8o/results.jsonl")" -eq 0
check "not UTF-8: the other case ran" test "$(jq -s '[.[] | select(.case == "ok" and .accuracy == 100)] | length' "$WORK/u8o/results.jsonl")" -eq 1

# --- --resume with another model list: the summary covers every result
run_cli 0 run --tasks "$T" --models mock:oracle,mock:noisy --seed 2 --output "$WORK/res" --no-history
run_cli 0 run --tasks "$T" --models mock:rules --mock-rules "$WORK/junk.json" --resume "$WORK/res" --no-history
J="$WORK/res/results.json"
check "resume: every result in results.json" test "$(jq '.results | length' "$J")" -eq 24
check "resume: the summary covers every model" \
    test "$(jq -c '[.summary[] | [.model, .cases]] | sort' "$J")" = '[["mock:noisy",8],["mock:oracle",8],["mock:rules",8]]'
check "resume: report.md too" test "$(grep -cE '^\| mock:(oracle|noisy|rules) \| 8 \| [0-9]+ \|' "$WORK/res/report.md")" -eq 3
check "resume: the table too" test "$(grep -cE '^mock:(oracle|noisy|rules) +8 ' "$WORK/out")" -eq 3

# --- history compare names models of one run only; recommend keeps unknown prices apart
mkdir -p "$WORK/hp" && echo '{"config_version": 2}' >"$WORK/hp/llm-tester.json"
(
    cd "$WORK/hp" || exit 1
    export LLMT_HISTORY_DB="$WORK/hp/h.db"
    "$LLMT_BIN" models add mock mystery >/dev/null 2>&1 # no price: unknown
    "$LLMT_BIN" run --tasks "$T" --models mock:oracle,mock:noisy,mock:mystery --seed 1 --output a >/dev/null 2>&1
    "$LLMT_BIN" run --tasks "$T" --models mock:oracle,mock:rules --mock-rules "$WORK/junk.json" --output b >/dev/null 2>&1
    "$LLMT_BIN" history compare previous latest --json >compare.json 2>&1
    "$LLMT_BIN" history compare previous latest >compare.txt 2>&1
    "$LLMT_BIN" recommend previous --json >rec.json 2>&1
    "$LLMT_BIN" recommend previous >rec.txt 2>&1
)
check "compare: gone models listed" \
    test "$(jq -c '[.models[] | select(.status == "gone") | .model] | sort' "$WORK/hp/compare.json")" = '["mock:mystery","mock:noisy"]'
check "compare: new models listed" \
    test "$(jq -c '[.models[] | select(.status == "new") | .model]' "$WORK/hp/compare.json")" = '["mock:rules"]'
check "compare: the table says gone" contains "$WORK/hp/compare.txt" "(gone: only in A)"
check "compare: the table says new" contains "$WORK/hp/compare.txt" "(new: only in B)"
check "recommend: an unknown price is never on the front" \
    test "$(jq '.models[] | select(.model == "mock:mystery") | [.pareto, .price_unknown, .cost_per_result_usd]' -c "$WORK/hp/rec.json")" = '[false,true,null]'
check "recommend: the unknown price comes last" test "$(jq -r '.models[-1].model' "$WORK/hp/rec.json")" = mock:mystery
check "recommend: oracle is on the front" test "$(jq '.models[] | select(.model == "mock:oracle") | .pareto' "$WORK/hp/rec.json")" = true
check "recommend: the table says unknown" grep -qE 'mock:mystery .*unknown .*n/a \(price unknown\)' "$WORK/hp/rec.txt"

# --- mock:noisy draws afresh for each --repeat
run_cli 0 run --tasks "$T" --models mock:noisy --seed 11 --repeat 4 --output "$WORK/rep" --no-history
check "noisy repeats differ" test "$(jq '[.results[] | {c: .case, a: .answer}] | group_by(.c) | map(map(.a) | unique | length) | max' "$WORK/rep/results.json")" -gt 1
check "noisy repeats have a spread" test "$(jq '[.repeat_stats[].stddev_accuracy] | max > 0' "$WORK/rep/results.json")" = true
run_cli 0 run --tasks "$T" --models mock:noisy --seed 11 --output "$WORK/rep1" --no-history
check "the first repeat is the draw of the run seed" test \
    "$(jq -c '[.results[] | select(.repeat == 0) | .answer]' "$WORK/rep/results.json")" = \
    "$(jq -c '[.results[] | .answer]' "$WORK/rep1/results.json")"

# --- an answer that breaks the schema is the model's fault: 0 %, averaged in
mkdir -p "$WORK/inv/t/tests/sources" "$WORK/inv/t/tests/expected"
echo '{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]}' \
    >"$WORK/inv/t/schema.json"
echo 'Ann is three.' >"$WORK/inv/t/tests/sources/ann.txt"
echo '{"name":"Ann","age":3}' >"$WORK/inv/t/tests/expected/ann.json"
echo 'Bob is four.' >"$WORK/inv/t/tests/sources/bob.txt"
echo '{"name":"Bob","age":4}' >"$WORK/inv/t/tests/expected/bob.json"
cat >"$WORK/inv.json" <<'JSON'
{"rules": [{"contains": "Ann", "reply": {"name": "Ann", "age": "three"}},
           {"contains": "Bob", "reply": {"name": "Bob", "age": 4}}]}
JSON
run_cli 0 run --tasks "$WORK/inv" --models mock:rules --mock-rules "$WORK/inv.json" --output "$WORK/invo" --no-history
J="$WORK/invo/results.json"
check "invalid answer: 0 %" test "$(jq '.results[] | select(.case == "ann") | .accuracy' "$J")" = 0
check "invalid answer: what its fields scored is kept" \
    test "$(jq '.results[] | select(.case == "ann") | .accuracy_if_valid' "$J")" = 50
check "invalid answer: averaged in as 0" test "$(jq -c '[.summary[0].answered, .summary[0].mean_accuracy]' "$J")" = '[2,50]'

# --- exit 130 is documented
run_cli 0 run --help
check "--help documents 130" contains "$WORK/out" "130"
check "the man page documents 130" grep -q "130" "$LLMT_SOURCE_DIR"/docs/man/llm-tester.1
check "README documents 130" grep -q "130" "$LLMT_SOURCE_DIR/README.md"

finish
