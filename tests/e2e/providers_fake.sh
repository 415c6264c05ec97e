# End to end: `llm-tester run` with the six HTTP providers against the fake-http-server
# program (base URLs from LLMT_<PROVIDER>_BASE_URL, fake keys in the environment).
# Checks results.json: answers, usage, cost, structured mode, error classes; and that
# -vv logs the traffic with the keys redacted.
. "$(dirname "$0")/lib/common.sh"
: "${FAKE_HTTP_SERVER:?FAKE_HTTP_SERVER must point to the fake-http-server program}"
T="$LLMT_SOURCE_DIR/examples/tasks"
NURSE="$T/job_ads/tests/expected/nurse_part_time.json"

# Every provider's success shape; the nurse case gets its expected answer (fenced for
# anthropic, to exercise extraction), everything else a small object.
ans=$(cat "$NURSE") # verbatim: the text, not a re-serialisation (46.0 must stay 46.0)
small='{"title":"x"}'
# fits the constrained Pydantic fixture except quantity, above its maximum of 1000
measured='{"sku":"ABC-1234","quantity":5000,"weight":1.5,"tags":["a","b"],"website":"https://a.example","ident":"8c4e6c1e-3f0a-4b9e-9a57-2d0f4a1b6c3d","homepage":"https://a.example"}'
openai_ok() { jq -nc --arg c "$1" '{model:"gpt-4.1-mini-2025-04-14",choices:[{index:0,message:{role:"assistant",content:$c},finish_reason:"stop"}],usage:{prompt_tokens:1000,completion_tokens:100,prompt_tokens_details:{cached_tokens:200}}}'; }
anthropic_ok() { jq -nc --arg c "$1" '{type:"message",model:"claude-haiku-4-5-20251001",content:[{type:"text",text:$c}],stop_reason:"end_turn",usage:{input_tokens:1000,output_tokens:100}}'; }
gemini_ok() { jq -nc --arg c "$1" '{candidates:[{content:{role:"model",parts:[{text:$c}]},finishReason:"STOP"}],usageMetadata:{promptTokenCount:1000,candidatesTokenCount:60,thoughtsTokenCount:40},modelVersion:"gemini-2.5-flash"}'; }
ollama_ok() { jq -nc --arg c "$1" '{model:"llama3.1:8b",message:{role:"assistant",content:$c},done_reason:"stop",done:true,prompt_eval_count:1000,eval_count:100}'; }

jq -n --argjson o_a "$(openai_ok "$ans")" --argjson o_s "$(openai_ok "$small")" \
      --argjson a_a "$(anthropic_ok "$(printf '```json\n%s\n```' "$ans")")" --argjson a_s "$(anthropic_ok "$small")" \
      --argjson g_a "$(gemini_ok "$ans")" --argjson g_s "$(gemini_ok "$small")" \
      --argjson l_a "$(ollama_ok "$ans")" --argjson l_s "$(ollama_ok "$small")" \
      --argjson a_m "$(anthropic_ok "$measured")" '
{match: [
  {path_contains: "/openai/v1/chat/completions", body_contains: "Sainte", reply: {body: $o_a}},
  {path_contains: "/openai/v1/chat/completions", reply: {body: $o_s}},
  {path_contains: "/mistral/v1/chat/completions", reply: {body: $o_s}},
  {path_contains: "/openrouter/api/v1/chat/completions", reply: {body: $o_s}},
  {path_contains: "/anthropic/v1/messages", body_contains: "Sainte", reply: {body: $a_a}},
  {path_contains: "/anthropic/v1/messages", body_contains: "Measurement", reply: {body: $a_m}},
  {path_contains: "/anthropic/v1/messages", reply: {body: $a_s}},
  {path_contains: ":generateContent", body_contains: "Sainte", reply: {body: $g_a}},
  {path_contains: ":generateContent", reply: {body: $g_s}},
  {path_contains: "/ollama/api/chat", body_contains: "Sainte", reply: {body: $l_a}},
  {path_contains: "/ollama/api/chat", reply: {body: $l_s}},
  {path_contains: "/quota/v1/chat/completions", reply: {status: 429, headers: {"retry-after": "30"},
     body: {error: {message: "You exceeded your current quota", type: "insufficient_quota", code: "insufficient_quota"}}}}
]}' >"$WORK/script.json"

start_fake_http "$WORK/script.json"

KEY="sk-e2e-VERYSECRET-9876"
export OPENAI_API_KEY="$KEY" ANTHROPIC_API_KEY="$KEY" GEMINI_API_KEY="$KEY" MISTRAL_API_KEY="$KEY" OPENROUTER_API_KEY="$KEY"
export LLMT_OPENAI_BASE_URL="$base/openai/v1" LLMT_ANTHROPIC_BASE_URL="$base/anthropic"
export LLMT_GEMINI_BASE_URL="$base/gemini/v1beta" LLMT_MISTRAL_BASE_URL="$base/mistral/v1"
export LLMT_OPENROUTER_BASE_URL="$base/openrouter/api/v1" LLMT_OLLAMA_BASE_URL="$base/ollama"
unset http_proxy HTTP_PROXY all_proxy ALL_PROXY

run_cli 0 run -vv --tasks "$T" --models openai:gpt-4.1-mini --models anthropic:claude-haiku-4-5 \
    --models gemini:gemini-2.5-flash --models mistral:mistral-small-latest \
    --models openrouter:openai/gpt-4.1-mini --models ollama:llama3.1:8b --output "$WORK/o"
R="$WORK/o/results.json"
check "results.json exists" test -s "$R"
check "8 cases x 6 models" test "$(jq '.results | length' "$R")" -eq 48
check "no errors" test "$(jq '[.results[] | select(.error != null)] | length' "$R")" -eq 0
check "every provider answered" \
    test "$(jq -c '[.results[].provider] | unique' "$R")" = '["anthropic","gemini","mistral","ollama","openai","openrouter"]'
check "native schema mode used everywhere" \
    test "$(jq '[.results[] | select(.structured_mode != "json_schema")] | length' "$R")" -eq 0
for p in openai anthropic gemini ollama; do
    check "$p: the nurse case scores 100" \
        test "$(jq --arg p "$p" '[.results[] | select(.provider == $p and .case == "nurse_part_time") | .accuracy] | .[0]' "$R")" = 100
done
check "anthropic fenced answer was extracted" \
    test "$(jq -r '[.results[] | select(.provider == "anthropic" and .case == "nurse_part_time") | .extraction] | .[0]' "$R")" != direct
check "openai usage and cost (gpt-4.1-mini 0.4/1.6 per 1M)" \
    test "$(jq '[.results[] | select(.provider == "openai") | (.usage.input_tokens == 1000 and .usage.output_tokens == 100 and .usage.cached_input_tokens == 200 and ((.usage.cost_usd - 0.00056) | fabs) < 1e-12)] | all' "$R")" = true
check "gemini thinking tokens count as output" \
    test "$(jq '[.results[] | select(.provider == "gemini") | (.usage.output_tokens == 100 and .usage.reasoning_tokens == 40)] | all' "$R")" = true
check "answering model recorded, priced as configured" \
    test "$(jq -r '[.results[] | select(.provider == "openai") | .reply_model] | unique | .[0]' "$R")" = gpt-4.1-mini-2025-04-14
check "ollama is free" test "$(jq '[.results[] | select(.provider == "ollama") | .usage.cost_usd == 0] | all' "$R")" = true
check "requests went to each wire format" test "$(grep -c '"path":"/anthropic/v1/messages"' "$WORK/requests.jsonl")" -eq 8
check "gemini path carries the model" grep -q '"path":"/gemini/v1beta/models/gemini-2.5-flash:generateContent"' "$WORK/requests.jsonl"
check "anthropic version header sent" grep -q '"anthropic-version":"2023-06-01"' "$WORK/requests.jsonl"
check "-vv logs request URLs" contains "$WORK/err" "/openai/v1/chat/completions"
check "-vv redacts keys" contains "$WORK/err" "[REDACTED]"
check "key never in logs" sh -c "! grep -q VERYSECRET '$WORK/err'"
check "key never in results" sh -c "! grep -rq VERYSECRET '$WORK/o'"

# schemas each provider's rules rewrite: a recursive model cannot go to anthropic's schema
# mode (the schema goes into the prompt, said once per model on stderr); constrained
# fields reach anthropic with their keywords moved out (recorded as schema_relaxed);
# openai gets the strict form. Answers are still validated against the task's schema.
FX="$LLMT_SOURCE_DIR/tests/fixtures/schemas/pydantic"
for t in recursive constrained; do
    mkdir -p "$WORK/st/$t/tests/sources" "$WORK/st/$t/tests/expected"
    cp "$FX/$t.json" "$WORK/st/$t/schema.json"
    printf '{"prompt": "Extract."}\n' >"$WORK/st/$t/task.json"
    for c in one two; do
        echo "text $c" >"$WORK/st/$t/tests/sources/$c.txt"
        echo '{"title": "x"}' >"$WORK/st/$t/tests/expected/$c.json"
    done
done
run_cli 0 run --tasks "$WORK/st" --models anthropic:claude-haiku-4-5 --models openai:gpt-4.1-mini \
    --no-history --output "$WORK/st_o"
S="$WORK/st_o/results.json"
check "recursive schema: anthropic falls back to the prompt" \
    test "$(jq -c '[.results[] | select(.provider == "anthropic" and .task == "recursive") | [.structured_mode, .strict]] | unique' "$S")" = '[["prompt_only",false]]'
check "recursive schema: said once per model" \
    test "$(grep -c 'anthropic:claude-haiku-4-5: the task schema cannot be sent as a schema' "$WORK/err")" -eq 1
check "recursive schema: openai sends it strict" \
    test "$(jq -c '[.results[] | select(.provider == "openai") | [.structured_mode, .strict]] | unique' "$S")" = '[["json_schema",true]]'
check "constrained schema: anthropic records the keywords moved out" \
    test "$(jq -c '[.results[] | select(.provider == "anthropic" and .task == "constrained") | .schema_relaxed] | unique | .[0] | index("pattern") != null' "$S")" = true
check "constrained schema: the maximum left out of what was sent is still checked" \
    test "$(jq -c '[.results[] | select(.provider == "anthropic" and .task == "constrained") | [.valid, (.violations | map(select(startswith("/quantity"))) | length)]] | unique' "$S")" = '[[false,1]]'
check "results.json summary: anthropic not enforced twice" \
    test "$(jq '.summary[] | select(.model == "anthropic:claude-haiku-4-5") | .schema_not_enforced' "$S")" -eq 2
check "report.md shows the models without enforcement" \
    grep -q '^| anthropic:claude-haiku-4-5 | 2 | prompt_only, json_schema | .*pattern' "$WORK/st_o/report.md"
check "the recursive schema went into anthropic's system prompt" \
    grep -q 'matching this JSON Schema' "$WORK/requests.jsonl"
# a model without a schema mode: the prompt, said once for its four calls
run_cli 0 run --tasks "$WORK/st" --models anthropic:claude-opus-4-1 --no-history --output "$WORK/st_p"
check "no schema mode: prompt_only, not strict" \
    test "$(jq -c '[.results[] | [.structured_mode, .strict]] | unique' "$WORK/st_p/results.json")" = '[["prompt_only",false]]'
check "no schema mode: said once" \
    test "$(grep -c 'anthropic:claude-opus-4-1: no schema-constrained output (capabilities); using prompt_only' "$WORK/err")" -eq 1

# high concurrency: on a machine with 2+ CPUs the engine splits -j 64 over two event
# loops (lanes). Every call is sent once and answered once, whatever lane it took.
# The providers' own rpm limits are lifted, or they would pace this to minutes.
n_before=$(wc -l <"$WORK/requests.jsonl")
CALLS=$((8 * 6 * 20))
run_cli 0 run --tasks "$T" --models openai:gpt-4.1-mini --models anthropic:claude-haiku-4-5 \
    --models gemini:gemini-2.5-flash --models mistral:mistral-small-latest \
    --models openrouter:openai/gpt-4.1-mini --models ollama:llama3.1:8b \
    --repeat 20 --concurrency 64 --no-history --output "$WORK/lanes" \
    $(for p in openai anthropic gemini mistral openrouter ollama; do printf ' --provider-limit %s:concurrency=0,rpm=0,tpm=0' $p; done)
L="$WORK/lanes/results.jsonl"
check "-j 64: one result per call" test "$(wc -l <"$L")" -eq "$CALLS"
check "-j 64: every call answered" test "$(jq -s '[.[] | select(.error == null and .answered_by != null)] | length' "$L")" -eq "$CALLS"
check "-j 64: no call twice" test "$(jq -r '"\(.task)/\(.case)/\(.provider):\(.model)/\(.repeat)"' "$L" | sort -u | wc -l)" -eq "$CALLS"
check "-j 64: one request per call" test "$(($(wc -l <"$WORK/requests.jsonl") - n_before))" -eq "$CALLS"
check "-j 64: the nurse answers still score 100" \
    test "$(jq -s '[.[] | select(.case == "nurse_part_time" and (.provider | IN("openai", "anthropic", "gemini", "ollama")))
                     | .accuracy == 100] | length == 80 and all' "$L")" = true

# quota is reported as such, not retried as a rate limit; exit 3
export LLMT_OPENAI_BASE_URL="$base/quota/v1"
run_cli 3 run --tasks "$T" --models openai:gpt-4.1-mini --filter job_ads/nurse --output "$WORK/q"
check "quota error class" test "$(jq -r '.results[0].error.class' "$WORK/q/results.json")" = quota
check "quota error code" test "$(jq -r '.results[0].error.code' "$WORK/q/results.json")" = insufficient_quota

# a missing key is an auth error naming the variable, and nothing is sent
n_before=$(wc -l <"$WORK/requests.jsonl")
unset OPENAI_API_KEY
run_cli 3 run --tasks "$T" --models openai:gpt-4.1-mini --filter job_ads/nurse --output "$WORK/k"
check "missing key: auth" test "$(jq -r '.results[0].error.class' "$WORK/k/results.json")" = auth
check "missing key: variable named" sh -c "jq -r '.results[0].error.message' '$WORK/k/results.json' | grep -q OPENAI_API_KEY"
check "missing key: no request" test "$(wc -l <"$WORK/requests.jsonl")" -eq "$n_before"

kill "$pid"
wait "$pid"
check "fake server exited cleanly" test $? -eq 0
finish
