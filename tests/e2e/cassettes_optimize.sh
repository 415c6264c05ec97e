# End to end: run --optimize with --record and --replay. The run (mock:rules), the
# optimizer model's call (OpenAI's wire format against fake-http-server) and the re-run
# with the amended prompt are recorded, each under its own name (<task>.jsonl,
# <task>@optimizer.jsonl, <task>@optimized.jsonl); the replay, with no server and no key,
# gets the same rewritten prompt, the same re-run results and the same comparison.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/cassette.sh"
: "${FAKE_HTTP_SERVER:?FAKE_HTTP_SERVER must point to the fake-http-server program}"
export LLMT_HISTORY_DB="$WORK/h.db"
KEY="sk-e2e-optimizer-cassette-key-1357"
cd "$WORK" || exit 1
"$LLMT_BIN" scaffold task people --dir tasks >/dev/null 2>&1
FULL='{"name": "Maria Lopez", "email": "maria.lopez@example.com", "skills": ["Python", "SQL", "Airflow"]}'
cat >rules.json <<JSON
{"rules": [{"contains": "'email' must be included", "in": "prompt", "reply": $FULL}],
 "default": {"reply": {"name": "Maria Lopez", "skills": ["Python", "SQL", "Airflow"]}}}
JSON
NEW="Extract the person as JSON. The field 'email' must be included in your response."
jq -n --arg c "$NEW" '{match: [{path_contains: "/chat/completions", body_contains: "You improve prompts",
  reply: {body: {model: "gpt-4.1-mini-2025-04-14", choices: [{index: 0, message: {role: "assistant", content: $c},
  finish_reason: "stop"}], usage: {prompt_tokens: 300, completion_tokens: 20}}}}]}' >script.json
start_fake_http "$WORK/script.json"
OPT="run --tasks tasks --models mock:rules --mock-rules rules.json --optimize --optimizer-model openai:gpt-4.1-mini"
OPENAI_API_KEY="$KEY" LLMT_OPENAI_BASE_URL="$base/v1" run_cli 0 $OPT --record cas --output o1
stop_fake_http
check "recorded: the optimizer was asked once" test "$(lines requests.jsonl)" -eq 1
check "recorded: its prompt is the model's reply" grep -qx "$NEW" o1/optimized_prompts/people/example.txt
check "cassette: the run, the optimizer's call and the re-run, apart" \
    test "$(ls cas | tr '\n' ' ')" = "people.jsonl people@optimized.jsonl people@optimizer.jsonl "
check "cassette: the optimizer's request and reply" test \
    "$(jq -r '"\(.model) \(.status) \(.request | tostring | test("You improve prompts"))"' cas/people@optimizer.jsonl)" = \
    "openai:gpt-4.1-mini 200 true"
check "cassette: the re-run asked with the amended prompt" contains cas/people@optimized.jsonl "must be included in your response"
check "cassette: no key" test "$(grep -rc -- "$KEY" cas | grep -vc ':0$')" -eq 0

# replay: no server, no key; the mock's rules now answer nothing useful, so only the
# cassette can give the recorded answers
echo '{"default": {"reply": {}}}' >rules.json
run_cli 0 $OPT --replay cas --output o2
check "replayed: the same rewritten prompt" cmp -s o1/optimized_prompts/people/example.txt o2/optimized_prompts/people/example.txt
check "replayed: the run's results" same_as o1/results.jsonl o2/results.jsonl
check "replayed: the re-run's results" same_as o1/optimized/results.jsonl o2/optimized/results.jsonl
check "replayed: the re-run is marked replayed" test \
    "$(jq -s '[.[] | select(.replayed == true)] | length' o2/optimized/results.jsonl)" -eq 1
cmpjson() { jq -cS 'del(.. | .prompt_file?)' "$1"; }
check "replayed: the same comparison, optimizer cost included" test "$(cmpjson o1/optimize.json)" = "$(cmpjson o2/optimize.json)"
check "replayed: optimized at 100" grep -Eq "^people +example +mock:rules +0\.00% +100\.00%" "$WORK/out"
# a changed optimizer request (another optimizer model) is a miss, named: the rules
# prompt is used, and the re-run, asked with it, misses too (the run's own cases replay)
run_cli 0 $OPT --replay cas --output o3 --optimizer-model openai:gpt-4.1
check "another optimizer model: its miss is said" contains "$WORK/err" "people@optimizer/example with openai:gpt-4.1"
check "another optimizer model: the re-run's changed request is named" test \
    "$(jq -r '.error.message' o3/optimized/results.jsonl | grep -c 'people@optimized/example with mock:rules .*changed since it was recorded')" -eq 1
finish
