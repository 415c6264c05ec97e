# Money the tool does not see (issue 20, item 5), end to end against the fake server
# speaking OpenAI's wire format: every POST that reaches the server is a recorded
# attempt when kept-alive connections are reset under the client, and usage reported
# above the estimates is said (console line, results.json) while the budget stops
# dispatching.
. "$(dirname "$0")/lib/common.sh"
: "${FAKE_HTTP_SERVER:?FAKE_HTTP_SERVER must point to the fake-http-server program}"
T="$LLMT_SOURCE_DIR/examples/tasks"
jq -n --argjson small "$(openai_chat '{"title":"x"}' 100 10)" \
      --argjson big "$(openai_chat '{"title":"x"}' 20000 40000)" '
{match: [
  {path_contains: "/reset/v1/chat/completions", reply: {body: $small, close_if_reused: true}},
  {path_contains: "/big/v1/chat/completions", reply: {body: $big}},
  {path_contains: "/chat/completions", reply: {body: $small}}
]}' >"$WORK/script.json"
start_fake_http "$WORK/script.json"
export OPENAI_API_KEY="sk-e2e-unseen-1234"

# --- each connection dies on its second request: no POST is sent twice by libcurl
LLMT_OPENAI_BASE_URL="$base/reset/v1" run_cli 3 run --tasks "$T" --models openai:gpt-4.1-mini \
    --concurrency 1 --max-retries 0 --output "$WORK/reset" --no-history
attempts=$(jq -s '[.[] | .attempts | length] | add' "$WORK/reset/results.jsonl")
check "reset keep-alive: POSTs at the server ($(logged_requests /reset/)) = recorded attempts ($attempts)" \
    test "$(logged_requests /reset/)" -eq "$attempts"
check "reset keep-alive: the failures are network errors" \
    test "$(jq -s '[.[] | select(.error != null) | .error.class] | unique' -c "$WORK/reset/results.jsonl")" = '["network"]'

# --- with retries, the engine sends it again: still one POST per attempt
LLMT_OPENAI_BASE_URL="$base/reset/v1" run_cli 0 run --tasks "$T" --models openai:gpt-4.1-mini \
    --concurrency 1 --max-retries 3 --output "$WORK/reset3" --no-history
before=$(jq -s '[.[] | .attempts | length] | add' "$WORK/reset/results.jsonl")
attempts=$(jq -s '[.[] | .attempts | length] | add' "$WORK/reset3/results.jsonl")
check "reset keep-alive + retries: POSTs = attempts" test "$(logged_requests /reset/)" -eq "$((before + attempts))"

# --- usage far above the estimate: the budget stops dispatching, and the run says so
LLMT_OPENAI_BASE_URL="$base/big/v1" run_cli 3 run --tasks "$T" --models openai:gpt-4.1-mini \
    --concurrency 1 --budget 0.01 --output "$WORK/big" --no-history
check "over the estimate: one call sent" test "$(logged_requests /big/)" -eq 1
check "over the estimate: console line" contains "$WORK/out" "Usage over the estimates: 1 call reported more usage than estimated"
check "over the estimate: results.json field" \
    test "$(jq '.usage_over_estimate.calls == 1 and .usage_over_estimate.usd > 0' "$WORK/big/results.json")" = true
check "over the estimate: the rest skipped by the budget" \
    test "$(jq '.summary[0].skipped' "$WORK/big/results.json")" -eq "$(($(jq -s length "$WORK/big/results.jsonl") - 1))"
finish
