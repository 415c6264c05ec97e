# End to end against the fake HTTP server speaking OpenAI's wire format (issue 13): a
# fallback's answer is an error of the model under test, an HTTP 500 after retries exits
# 3, a source that is not UTF-8 never reaches the server, every request states its
# output bound.
. "$(dirname "$0")/lib/common.sh"
: "${FAKE_HTTP_SERVER:?FAKE_HTTP_SERVER must point to the fake-http-server program}"
T="$LLMT_SOURCE_DIR/examples/tasks"
NURSE="$T/job_ads/tests/expected/nurse_part_time.json"
jq -n --argjson ans "$(openai_chat "$(cat "$NURSE")")" --argjson small "$(openai_chat '{"title":"x"}')" '
{match: [
  {path_contains: "/bad/v1/chat/completions", reply: {status: 401,
     body: {error: {message: "Incorrect API key provided", type: "invalid_request_error", code: "invalid_api_key"}}}},
  {path_contains: "/flaky/v1/chat/completions", body_contains: "Sainte", reply: {status: 500,
     body: {error: {message: "The server had an error", type: "server_error"}}}},
  {path_contains: "/chat/completions", body_contains: "Sainte", reply: {body: $ans}},
  {path_contains: "/chat/completions", reply: {body: $small}}
]}' >"$WORK/script.json"
start_fake_http "$WORK/script.json"
export OPENAI_API_KEY="sk-e2e-truth-1234"

# --- openai answers 401, the mock answers as fallback: openai has 8 errors, no mean, exit 3
LLMT_OPENAI_BASE_URL="$base/bad/v1" run_cli 3 run --tasks "$T" --models openai:gpt-4.1-mini \
    --fallback mock:oracle --output "$WORK/fb" --no-history
J="$WORK/fb/results.json"
check "401 + fallback: 8 errors of openai" test "$(jq '.summary[0].errors' "$J")" -eq 8
check "401 + fallback: no mean for openai" test "$(jq '.summary[0].mean_accuracy' "$J")" = null
check "401 + fallback: the errors are auth" contains "$WORK/err" "auth"
check "401 + fallback: the mock's answers under the mock" \
    test "$(jq -c '.fallback_summary[0] | [.model, .cases, .mean_accuracy]' "$J")" = '["mock:oracle",8,100]'

# --- one case gets HTTP 500 after its retries: an error, exit 3, the rest averaged
LLMT_OPENAI_BASE_URL="$base/flaky/v1" run_cli 3 run --tasks "$T" --models openai:gpt-4.1-mini \
    --max-retries 1 --filter job_ads --output "$WORK/flaky" --no-history
J="$WORK/flaky/results.json"
check "500: one error" test "$(jq -c '[.summary[0].errors, .summary[0].answered]' "$J")" = '[1,3]'
check "500: the mean is over the 3 answers" \
    test "$(jq '.summary[0].mean_accuracy == ([.results[] | select(.error == null) | .accuracy] | add / 3)' "$J")" = true

# --- every request states its output bound, well below the model's 32,768
check "requests state max_completion_tokens" \
    test "$(jq -s '[.[] | (.body | fromjson? // .body) | .max_completion_tokens] | map(select(. != null)) | (length > 0 and all(. < 32768))' "$WORK/requests.jsonl")" = true

# --- a source that is not UTF-8: refused naming the file, nothing sent
mkdir -p "$WORK/u8/t/tests/sources" "$WORK/u8/t/tests/expected"
echo '{"type":"object"}' >"$WORK/u8/t/schema.json"
printf 'Stra\337e 5, Z\374rich\n' >"$WORK/u8/t/tests/sources/addr.txt"
echo '{"a":1}' >"$WORK/u8/t/tests/expected/addr.json"
before=$(logged_requests)
LLMT_OPENAI_BASE_URL="$base/ok/v1" run_cli 2 run --tasks "$WORK/u8" --models openai:gpt-4.1-mini \
    --output "$WORK/u8o" --no-history
check "not UTF-8: the file is named" contains "$WORK/err" "tests/sources/addr.txt: not valid UTF-8"
check "not UTF-8: no request reached the server" test "$(logged_requests)" -eq "$before"
finish
