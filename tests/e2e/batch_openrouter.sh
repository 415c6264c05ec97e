# End to end: `run --batch` with OpenRouter's Batch API against fake-http-server, speaking
# its wire format: POST /api/v1/batches {endpoint, model, requests: [{custom_id, body}]}
# answered 202 "validating", GET /api/v1/batches/ID through validating and in_progress to
# a terminal status carrying `results` inline, POST /api/v1/batches/ID/cancel. Checks:
# one batch for 3 cases, endpoint and model before requests, no chat call, the request
# bodies equal the interactive ones (require_parameters included), the attribution
# header, half the cost; per-request failures with their class; an expired batch's
# answered lines kept and the others timeout; resume after a kill, resuming a finished
# run sends nothing; list and cancel; one batch per schema; cases with a file run
# interactively, with one note.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/batch.sh"
M=openrouter:openai/gpt-4.1-mini
KEY="sk-or-e2e-VERYSECRET"
export OPENROUTER_API_KEY="$KEY"

chat() { jq -nc --arg c "$1" '{id:"gen-1",object:"chat.completion",model:"openai/gpt-4.1-mini",provider:"OpenAI",choices:[{index:0,message:{role:"assistant",content:$c},finish_reason:"stop"}],usage:{prompt_tokens:1000,completion_tokens:100,total_tokens:1100}}'; }
ANS='{"title":"x"}'
set -- $CASES
id1=$($IDS job_ads "$1" "$M" 0)
id2=$($IDS job_ads "$2" "$M" 0)
id3=$($IDS job_ads "$3" "$M" 0)
batch_obj() { # STATUS [RESULTS_JSON COMPLETED FAILED]
    jq -nc --arg s "$1" --argjson r "${2:-null}" --argjson c "${3:-0}" --argjson f "${4:-0}" \
        '{id:"batch_1",object:"batch",endpoint:"/v1/chat/completions",model:"openai/gpt-4.1-mini",
          completion_window:"24h",status:$s,created_at:1782097200,finalized_at:null,provider:"OpenAI",
          request_counts:{total:3,completed:$c,failed:$f},usage:null,results:$r,error:null}'
}
ok_row() { jq -nc --arg id "$1" --argjson b "$(chat "$ANS")" '{id:("batch_req_" + $id),custom_id:$id,response:{status_code:200,request_id:"req_1",body:$b},error:null}'; }
all_ok=$(printf '%s\n' "$(ok_row "$id1")" "$(ok_row "$id2")" "$(ok_row "$id3")" | jq -sc .)

script() { # FINAL_BATCH_OBJECT
    jq -n --argjson v "$(batch_obj validating)" --argjson ip "$(batch_obj in_progress null 1 0)" \
          --argjson done "$1" --argjson chat "$(chat "$ANS")" '
    {match: [
      {method: "POST", path_contains: "/api/v1/batches/batch_1/cancel", reply: {body: $ip}},
      {method: "POST", path_contains: "/api/v1/batches", reply: {status: 202, body: $v}},
      {method: "GET", path_contains: "/api/v1/batches/batch_1", times: 1, reply: {body: $v}},
      {method: "GET", path_contains: "/api/v1/batches/batch_1", times: 1, reply: {body: $ip}},
      {method: "GET", path_contains: "/api/v1/batches/batch_1", reply: {body: $done}},
      {method: "POST", path_contains: "/chat/completions", reply: {body: $chat}}
    ]}'
}
script "$(batch_obj completed "$all_ok" 3 0)" >"$WORK/s1.json"
start_fake_http "$WORK/s1.json" "$WORK/r1.jsonl"
export LLMT_OPENROUTER_BASE_URL="$base/api/v1"

run_cli 0 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/live"
run_cli 0 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/b" --batch --batch-poll 0.02
R="$WORK/b/results.json"
check "3 batch results without errors" \
    test "$(jq '[.results[] | select(.batch == true and .error == null)] | length' "$R")" -eq 3
check "usage as interactively" \
    test "$(jq '[.results[] | select(.usage.input_tokens == 1000 and .usage.output_tokens == 100)] | length' "$R")" -eq 3
check "batch costs half the interactive run" half "$(sum_cost "$WORK/live")" "$(sum_cost "$WORK/b")"
check "one batch" test "$(count "$WORK/r1.jsonl" POST '/api/v1/batches$')" -eq 1
check "only the interactive run called chat/completions" test "$(count "$WORK/r1.jsonl" POST '/chat/completions$')" -eq 3
check "polled through validating and in_progress" test "$(count "$WORK/r1.jsonl" GET '/api/v1/batches/batch_1$')" -eq 3
sub=$(jq -r 'select(.method == "POST" and (.path | test("/api/v1/batches$"))) | .body' "$WORK/r1.jsonl")
check "endpoint and model come before requests" \
    sh -c 'printf "%s" "$1" | grep -q "^{\"endpoint\":\"/v1/chat/completions\",\"model\":\"openai/gpt-4.1-mini\",\"requests\":\[{\"custom_id\":"' _ "$sub"
check "the requests' custom_ids are the tool's" \
    test "$(printf '%s' "$sub" | jq -r '.requests[].custom_id' | sort | tr '\n' ' ')" = "$(printf '%s\n' "$id1" "$id2" "$id3" | sort | tr '\n' ' ')"
jq -r 'select(.method == "POST" and (.path | test("/chat/completions$"))) | .body' "$WORK/r1.jsonl" | jq -cS . | sort >"$WORK/live_bodies"
printf '%s' "$sub" | jq -cS '.requests[].body' | sort >"$WORK/batch_bodies"
check "request bodies equal the interactive bodies" cmp -s "$WORK/live_bodies" "$WORK/batch_bodies"
check "bodies keep provider.require_parameters" \
    test "$(jq -s '[.[] | select(.provider.require_parameters == true)] | length' "$WORK/batch_bodies")" -eq 3
check "the batch request carries the key and X-Title" \
    test "$(jq -r 'select(.method == "POST" and (.path | test("/api/v1/batches$"))) | "\(.headers.authorization) \(.headers["x-title"])"' "$WORK/r1.jsonl")" = "Bearer $KEY llm-tester"
check "batches.jsonl records the batch and its lines" \
    test "$(jq -r '"\(.provider) \(.model) \(.batch_id) \(.custom_ids | length)"' "$WORK/b/batches.jsonl")" = "openrouter openai/gpt-4.1-mini batch_1 3"
check "the key is in no output file" sh -c '! grep -rq "$1" "$2"' _ "$KEY" "$WORK/b"
before=$(lines "$WORK/r1.jsonl")
run_cli 0 run -q --no-history --tasks "$T" --models "$M" --resume "$WORK/b" --batch --batch-poll 0.02
check "resume of a finished batch run sent nothing" test "$(lines "$WORK/r1.jsonl")" -eq "$before"
stop_fake_http

# ---- per-request failures in a completed batch: an error row, a non-2xx response
mixed=$(printf '%s\n' "$(ok_row "$id1")" \
    "$(jq -nc --arg id "$id2" '{id:"batch_req_2",custom_id:$id,response:null,error:{message:"response_format is not supported by this model",type:"invalid_request_error",param:"response_format"}}')" \
    "$(jq -nc --arg id "$id3" '{id:"batch_req_3",custom_id:$id,response:{status_code:402,request_id:"req_3",body:{error:{code:402,message:"Insufficient credits"}}},error:null}')" | jq -sc .)
script "$(batch_obj completed "$mixed" 1 2)" >"$WORK/s2.json"
start_fake_http "$WORK/s2.json" "$WORK/r2.jsonl"
export LLMT_OPENROUTER_BASE_URL="$base/api/v1"
# lines that failed have no answer: exit 3
run_cli 3 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/p" --batch --batch-poll 0.02
R="$WORK/p/results.jsonl"
cls() { jq -r --arg c "$1" 'select(.case == $c) | (.error.class // "ok")' "$R"; }
check "partial: the answered line is ok" test "$(cls "$1")" = ok
check "partial: the invalid_request_error row is bad_request" test "$(cls "$2")" = bad_request
check "partial: the 402 response is quota" test "$(cls "$3")" = quota
check "partial: the row's message is kept" contains "$R" "response_format is not supported"
check "partial: failures are marked batch" test "$(jq -s '[.[] | select(.batch == true)] | length' "$R")" -eq 3
# without --batch, --resume re-runs the failed lines interactively
run_cli 0 run -q --no-history --tasks "$T" --models "$M" --resume "$WORK/p"
check "resume without --batch: 2 chat calls" test "$(count "$WORK/r2.jsonl" POST '/chat/completions$')" -eq 2
stop_fake_http

# ---- an expired batch: its answered row is kept, the others are timeout
script "$(batch_obj expired "$(ok_row "$id1" | jq -sc .)" 1 0)" >"$WORK/s3.json"
start_fake_http "$WORK/s3.json" "$WORK/r3.jsonl"
export LLMT_OPENROUTER_BASE_URL="$base/api/v1"
run_cli 3 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/x" --batch --batch-poll 0.02
R="$WORK/x/results.jsonl"
check "expired: the answered row is ok" test "$(cls "$1")" = ok
check "expired: the other lines are timeout" \
    test "$(jq -s '[.[] | select(.error.class == "timeout" and .batch == true)] | length' "$R")" -eq 2
stop_fake_http

# ---- a batch refused by validation: every line fails with the reason
jq -n --argjson v "$(batch_obj validating)" \
      --argjson f "$(batch_obj failed | jq -c '.error = {message: "request 2: image parts must be public URLs"}')" '
{match: [
  {method: "POST", path_contains: "/api/v1/batches", reply: {status: 202, body: $v}},
  {method: "GET", path_contains: "/api/v1/batches/batch_1", reply: {body: $f}}
]}' >"$WORK/s5.json"
start_fake_http "$WORK/s5.json" "$WORK/r5.jsonl"
export LLMT_OPENROUTER_BASE_URL="$base/api/v1"
run_cli 3 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/f" --batch --batch-poll 0.02
check "failed batch: 3 lines bad_request" \
    test "$(jq -s '[.[] | select(.error.class == "bad_request")] | length' "$WORK/f/results.jsonl")" -eq 3
check "failed batch: error.message is kept" contains "$WORK/f/results.jsonl" "image parts must be public URLs"
stop_fake_http

# ---- killed between submit and completion; list; cancel; resume polls the same batch
jq -n --argjson v "$(batch_obj validating)" --argjson ip "$(batch_obj in_progress null 1 0)" \
      --argjson cl "$(batch_obj cancelling null 1 0)" '
{match: [
  {method: "POST", path_contains: "/api/v1/batches/batch_1/cancel", reply: {body: $cl}},
  {method: "POST", path_contains: "/api/v1/batches", reply: {status: 202, body: $v}},
  {method: "GET", path_contains: "/api/v1/batches/batch_1", reply: {body: $ip}}
]}' >"$WORK/s4.json"
start_fake_http "$WORK/s4.json" "$WORK/r4.jsonl"
export LLMT_OPENROUTER_BASE_URL="$base/api/v1"
kill_after_submit "$WORK/k" batch_1 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/k" --batch --batch-poll 0.02
check "the batch id was recorded before the kill" contains "$WORK/k/batches.jsonl" batch_1
run_cli 0 batches list "$WORK/k"
check "list shows the state and counts" contains "$WORK/out" "in_progress	3 requests, 1 succeeded, 0 failed"
run_cli 0 batches cancel "$WORK/k"
check "cancel posted /api/v1/batches/batch_1/cancel" test "$(count "$WORK/r4.jsonl" POST '/api/v1/batches/batch_1/cancel$')" -eq 1
stop_fake_http
# cancellation is enabled per organization: the others get 403, shown with its reason
jq -n --argjson ip "$(batch_obj in_progress null 1 0)" '
{match: [
  {method: "POST", path_contains: "/api/v1/batches/batch_1/cancel", reply: {status: 403, body: {error: {code: 403, message: "Batch cancellation is not enabled for this organization"}}}},
  {method: "GET", path_contains: "/api/v1/batches/batch_1", reply: {body: $ip}}
]}' >"$WORK/s8.json"
start_fake_http "$WORK/s8.json" "$WORK/r8.jsonl"
export LLMT_OPENROUTER_BASE_URL="$base/api/v1"
run_cli 0 batches cancel "$WORK/k"
check "a refused cancel is shown with its reason" contains "$WORK/out" "not enabled for this organization"
stop_fake_http
script "$(batch_obj completed "$all_ok" 3 0)" >"$WORK/s6.json"
start_fake_http "$WORK/s6.json" "$WORK/r6.jsonl"
export LLMT_OPENROUTER_BASE_URL="$base/api/v1"
run_cli 0 run -q --no-history --tasks "$T" --models "$M" --resume "$WORK/k" --batch --batch-poll 0.02
check "resume after a kill: no new batch" test "$(count "$WORK/r6.jsonl" POST '/api/v1/batches$')" -eq 0
check "resume after a kill: 3 batch results" \
    test "$(jq -s '[.[] | select(.batch == true and .error == null)] | length' "$WORK/k/results.jsonl")" -eq 3
stop_fake_http

# ---- two tasks (two schemas): one batch per response_format, as Google-routed batches need
T2="$WORK/tasks2"
mkdir -p "$T2"
cp -R "$T/job_ads" "$LLMT_SOURCE_DIR/examples/tasks/product_descriptions" "$T2/"
jq -n --argjson v "$(batch_obj validating)" --argjson v2 "$(batch_obj validating | jq -c '.id = "batch_2"')" \
      --argjson done "$(batch_obj completed "$all_ok" 3 0)" \
      --argjson f "$(batch_obj failed | jq -c '.id = "batch_2" | .error = {message: "refused"}')" '
{match: [
  {method: "POST", path_contains: "/api/v1/batches", times: 1, reply: {status: 202, body: $v}},
  {method: "POST", path_contains: "/api/v1/batches", reply: {status: 202, body: $v2}},
  {method: "GET", path_contains: "/api/v1/batches/batch_1", reply: {body: $done}},
  {method: "GET", path_contains: "/api/v1/batches/batch_2", reply: {body: $f}}
]}' >"$WORK/s9.json"
start_fake_http "$WORK/s9.json" "$WORK/r9.jsonl"
export LLMT_OPENROUTER_BASE_URL="$base/api/v1"
run_cli 3 run -q --no-history --tasks "$T2" --models "$M" --output "$WORK/two" --batch --batch-poll 0.02
check "two schemas: two batches" test "$(count "$WORK/r9.jsonl" POST '/api/v1/batches$')" -eq 2
jq -r 'select(.method == "POST" and (.path | test("/api/v1/batches$"))) | .body' "$WORK/r9.jsonl" |
    jq -c '[.requests[].body.response_format] | unique | length' | sort -u >"$WORK/formats"
check "two schemas: one response_format in each batch" test "$(cat "$WORK/formats")" = 1
check "two schemas: the batches ask different formats" \
    test "$(jq -r 'select(.method == "POST" and (.path | test("/api/v1/batches$"))) | .body' "$WORK/r9.jsonl" | jq -c '.requests[0].body.response_format' | sort -u | wc -l)" -eq 2
check "two schemas: the job_ads lines answered from batch_1" \
    test "$(jq -s '[.[] | select(.task == "job_ads" and .error == null and .batch == true)] | length' "$WORK/two/results.jsonl")" -eq 3
stop_fake_http

# ---- cases with an image: not batched (files go only as URLs), run interactively
python3 -c 'import base64,sys; sys.stdout.buffer.write(base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="))' \
    >"$T/job_ads/tests/sources/scan.png"
printf 'The attached scan is a job ad.\n' >"$T/job_ads/tests/sources/scan.txt"
cp "$T/job_ads/tests/expected/$1.json" "$T/job_ads/tests/expected/scan.json"
for f in sources/scan.png sources/scan.txt expected/scan.json; do
    cp "$T/job_ads/tests/$f" "$T/job_ads/tests/$(echo "$f" | sed 's/scan/scan2/')"
done
id4=$($IDS job_ads scan "$M" 0)
script "$(batch_obj completed "$all_ok" 3 0)" >"$WORK/s7.json"
start_fake_http "$WORK/s7.json" "$WORK/r7.jsonl"
export LLMT_OPENROUTER_BASE_URL="$base/api/v1"
run_cli 0 run --no-history --tasks "$T" --models "$M" --output "$WORK/img" --batch --batch-poll 0.02
check "image cases: 3 lines batched, not the 2 image cases" \
    test "$(jq -r 'select(.method == "POST" and (.path | test("/api/v1/batches$"))) | .body | fromjson | .requests | length' "$WORK/r7.jsonl")" -eq 3
check "image cases: sent interactively with their image" \
    test "$(jq -r 'select(.method == "POST" and (.path | test("/chat/completions$"))) | .body' "$WORK/r7.jsonl" | grep -c 'data:image/png;base64')" -eq 2
check "image cases: nothing else sent interactively" test "$(count "$WORK/r7.jsonl" POST '/chat/completions$')" -eq 2
check "image cases: answered, not marked batch" \
    test "$(jq -r '.results[] | select(.case | startswith("scan")) | "\(.error) \(.batch // false)"' "$WORK/img/results.json" | sort -u)" = "null false"
check "image cases: a note says why they ran interactively" contains "$WORK/err" "files only as public URLs"
check "image cases: one note for the model" test "$(grep -c 'openrouter:openai/gpt-4.1-mini: ' "$WORK/err")" -eq 1
check "image cases: not in batches.jsonl" sh -c '! grep -q "$1" "$2"' _ "$id4" "$WORK/img/batches.jsonl"
stop_fake_http
finish
