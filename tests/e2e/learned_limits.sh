# End to end: rate limits learned from the providers' headers. Against fake servers that
# speak OpenAI's and Anthropic's rate-limit headers:
#   - an account of 10,000 requests/min lets --concurrency 50 run 500 cases of 200 ms
#     within 1.35x the ideal wall time (the shipped 500 rpm would take a minute);
#   - a server that enforces 60 rpm and says so (remaining counting down, reset), with
#     only 3 requests left in its window, is never answered 429 by it, and the run paces
#     to its 60 rpm once those are used (request timestamps);
#   - Anthropic's RFC 3339 resets pace the same way;
#   - without headers the shipped limits stand; explicit limits win over learned ones;
#   - the summary names what held each provider back and where that limit came from.
. "$(dirname "$0")/lib/common.sh"
: "${FAKE_HTTP_SERVER:?FAKE_HTTP_SERVER must point to the fake-http-server program}"
unset LLMT_SHARD
export OPENAI_API_KEY="sk-e2e-learned-0000" ANTHROPIC_API_KEY="sk-ant-e2e-learned-0000"
export LLMT_HISTORY_DB="$WORK/h.db"

# a task of N one-line cases (answer {"n": i})
make_task() { # DIR N
    mkdir -p "$1/t/tests/sources" "$1/t/tests/expected"
    echo '{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}' >"$1/t/schema.json"
    echo '{"prompt":"Return the number as JSON {\"n\": N}."}' >"$1/t/task.json"
    i=1
    while [ "$i" -le "$2" ]; do
        echo "number $i" >"$1/t/tests/sources/c$i.txt"
        echo '{"n":1}' >"$1/t/tests/expected/c$i.json"
        i=$((i + 1))
    done
}


OK_OPENAI='{"model":"gpt-4.1-mini","choices":[{"index":0,"message":{"role":"assistant","content":"{\"n\":1}"},"finish_reason":"stop"}],"usage":{"prompt_tokens":20,"completion_tokens":5}}'
OK_ANTHROPIC='{"type":"message","model":"claude-haiku-4-5","content":[{"type":"text","text":"{\"n\":1}"}],"stop_reason":"end_turn","usage":{"input_tokens":20,"output_tokens":5}}'

# ---- 1. a high-tier account: 10,000 rpm in the headers, 200 ms replies
make_task "$WORK/big" 500
jq -n --argjson b "$OK_OPENAI" '{default: {body: $b, delay_ms: 200, headers: {
    "x-ratelimit-limit-requests": "10000", "x-ratelimit-remaining-requests": "9999",
    "x-ratelimit-reset-requests": "6ms", "x-ratelimit-limit-tokens": "30000000",
    "x-ratelimit-remaining-tokens": "29999000", "x-ratelimit-reset-tokens": "2ms"}}}' >"$WORK/big.json"
start_fake_http "$WORK/big.json" "$WORK/big.log"
export LLMT_OPENAI_BASE_URL="$base/v1"
run_cli 0 run -v -q --tasks "$WORK/big" --models openai:gpt-4.1-mini --concurrency 50 --output "$WORK/o1"
stop_fake_http
# the sending time, from the first request's arrival to the last reply (process start and
# report writing are not the limiter's business)
wall=$(jq -s '(map(.t) | max) - (map(.t) | min) + 0.2' "$WORK/big.log")
ideal=$(echo "500 / 50 * 0.2" | bc -l)
echo "10,000 rpm account: 500 cases at concurrency 50 in ${wall}s (ideal ${ideal}s)"
check "500 results" test "$(lines "$WORK/o1/results.jsonl")" -eq 500
check "within 1.35x the ideal wall time (${wall}s vs ${ideal}s)" \
    test "$(echo "$wall <= 1.35 * $ideal" | bc -l)" -eq 1
check "-v says what was learned, once" test "$(grep -c "the account's limits, from the reply headers: 10000 requests/min" "$WORK/err")" -eq 1
check "the summary names what held it back: the run's own concurrency" contains "$WORK/out" "Limits: openai: --concurrency 50"

# ---- 2. a server that enforces 60 rpm and says so, 3 left in its window: never a 429,
# then paced to its refill of one a second
make_task "$WORK/six" 8
jq -n --argjson b "$OK_OPENAI" '{rate_limit: {rpm: 60, style: "openai", start: 3}, default: {body: $b}}' >"$WORK/rl.json"
start_fake_http "$WORK/rl.json" "$WORK/rl.log"
export LLMT_OPENAI_BASE_URL="$base/v1"
run_cli 0 run -q --tasks "$WORK/six" --models openai:gpt-4.1-mini --concurrency 8 --output "$WORK/o2"
stop_fake_http
check "none answered 429" test "$(jq -s '[.[] | select(.status == 429)] | length' "$WORK/rl.log")" -eq 0
check "each case sent once" test "$(lines "$WORK/rl.log")" -eq 8
# the 3 left go at once; the other 5 wait for the refill: the last is >= 4.5 s after the first
check "paced to 60 rpm once the window is used up" \
    test "$(jq -s '(.[7].t - .[0].t) >= 4.5 and ([range(4; 8) as $i | .[$i].t - .[$i - 1].t] | min >= 0.9)' "$WORK/rl.log")" = true
check "the summary names the learned limit" contains "$WORK/out" "openai: 60 requests/min (learned from its replies)"

# ---- 3. the same with Anthropic's headers (RFC 3339 resets)
jq -n --argjson b "$OK_ANTHROPIC" '{rate_limit: {rpm: 60, style: "anthropic", start: 3}, default: {body: $b}}' >"$WORK/ra.json"
start_fake_http "$WORK/ra.json" "$WORK/ra.log"
export LLMT_ANTHROPIC_BASE_URL="$base"
run_cli 0 run -q --tasks "$WORK/six" --models anthropic:claude-haiku-4-5 --concurrency 8 --output "$WORK/o3"
stop_fake_http
check "anthropic: none answered 429" test "$(jq -s '[.[] | select(.status == 429)] | length' "$WORK/ra.log")" -eq 0
check "anthropic: paced once the window is used up" \
    test "$(jq -s '(.[7].t - .[0].t) >= 4.5' "$WORK/ra.log")" = true

# ---- 4. headers absent: the shipped limits stand and the summary says so
jq -n --argjson b "$OK_OPENAI" '{default: {body: $b}}' >"$WORK/plain.json"
start_fake_http "$WORK/plain.json" "$WORK/plain.log"
export LLMT_OPENAI_BASE_URL="$base/v1"
run_cli 0 run -q --tasks "$WORK/big" --models openai:gpt-4.1-mini --concurrency 50 --filter c1 \
    --output "$WORK/o4"
check "no headers: shipped 500 rpm, said so" contains "$WORK/out" "openai: 500 requests/min (shipped default; its replies named no limit)"

# ---- 5. explicit limits win over what the headers say
stop_fake_http
start_fake_http "$WORK/big.json" "$WORK/big2.log"
export LLMT_OPENAI_BASE_URL="$base/v1"
run_cli 0 run -v -q --tasks "$WORK/big" --models openai:gpt-4.1-mini --concurrency 50 --filter c1 \
    --provider-limit openai:rpm=120,tpm=1000000 --output "$WORK/o5"
stop_fake_http
check "explicit limits: nothing learned over them" sh -c "! grep -q 'from the reply headers' '$WORK/err'"
check "explicit limits: the summary says they are yours" contains "$WORK/out" "120 requests/min (yours"
finish
