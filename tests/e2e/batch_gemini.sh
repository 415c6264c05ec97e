# End to end: `run --batch` with Gemini's Batch API (inline requests) against
# fake-http-server: POST /v1beta/models/M:batchGenerateContent, GET /v1beta/batches/ID
# (an operation) through PENDING and RUNNING to SUCCEEDED with inlined responses, POST
# /v1beta/batches/ID:cancel. Checks: one batch for 3 cases, no generateContent call, the
# requests equal the interactive bodies, half the cost, a per-request error with its
# class, an expired batch's lines as timeout, resume after a kill, cancel.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/batch.sh"
. "$(dirname "$0")/lib/gemini_batch.sh"
op() { # STATE [INLINED_RESPONSES_JSON]
    jq -nc --arg s "$1" --argjson r "${2:-null}" \
        '{name:"batches/b1",metadata:{"@type":"type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
          model:"models/gemini-2.5-flash",displayName:"x",state:$s,name:"batches/b1",
          batchStats:{requestCount:"3",pendingRequestCount:"3"}}}
         + (if $r == null then {} else {done:true,response:{"@type":"type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput",inlinedResponses:{inlinedResponses:$r}}} end)'
}
ok_resp() { jq -nc --arg k "$1" --argjson g "$(gen "$ANS")" '{response:$g,metadata:{key:$k}}'; }
all_ok=$(jq -sc . <<EOF2
$(ok_resp "$id1")
$(ok_resp "$id2")
$(ok_resp "$id3")
EOF2
)
mixed=$(jq -sc . <<EOF2
$(ok_resp "$id1")
$(jq -nc --arg k "$id2" '{error:{code:400,message:"Invalid JSON payload received.",status:"INVALID_ARGUMENT"},metadata:{key:$k}}')
$(ok_resp "$id3")
EOF2
)
script() { # FINAL_OPERATION
    jq -n --argjson p "$(op BATCH_STATE_PENDING)" --argjson r "$(op BATCH_STATE_RUNNING)" --argjson done "$1" \
          --argjson g "$(gen "$ANS")" '
    {match: [
      {method: "POST", path_contains: ":batchGenerateContent", reply: {body: $p}},
      {method: "POST", path_contains: "/batches/b1:cancel", reply: {body: {}}},
      {method: "GET", path_contains: "/v1beta/batches/b1", times: 1, reply: {body: $p}},
      {method: "GET", path_contains: "/v1beta/batches/b1", times: 1, reply: {body: $r}},
      {method: "GET", path_contains: "/v1beta/batches/b1", reply: {body: $done}},
      {method: "POST", path_contains: ":generateContent", reply: {body: $g}}
    ]}'
}
script "$(op BATCH_STATE_SUCCEEDED "$all_ok")" >"$WORK/s1.json"
start_server "$WORK/s1.json" "$WORK/r1.jsonl"
export LLMT_GEMINI_BASE_URL="$base/v1beta"

run_cli 0 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/live"
run_cli 0 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/b" --batch --batch-poll 0.02
check "3 batch results without errors" \
    test "$(jq '[.results[] | select(.batch == true and .error == null)] | length' "$WORK/b/results.json")" -eq 3
check "batch costs half the interactive run" half "$(sum_cost "$WORK/live")" "$(sum_cost "$WORK/b")"
check "one batch" test "$(count "$WORK/r1.jsonl" POST ':batchGenerateContent$')" -eq 1
check "only the interactive run called generateContent" test "$(count "$WORK/r1.jsonl" POST ':generateContent$')" -eq 3
check "the key header is sent" test "$(jq -r 'select(.method == "POST" and (.path | test(":batchGenerateContent$"))) | .headers["x-goog-api-key"]' "$WORK/r1.jsonl")" = "$GEMINI_API_KEY"
jq -r 'select(.method == "POST" and (.path | test(":generateContent$"))) | .body' "$WORK/r1.jsonl" | jq -cS . | sort >"$WORK/live_bodies"
jq -r 'select(.method == "POST" and (.path | test(":batchGenerateContent$"))) | .body' "$WORK/r1.jsonl" |
    jq -cS '.batch.input_config.requests.requests[].request' | sort >"$WORK/batch_bodies"
check "inline requests equal the interactive bodies" cmp -s "$WORK/live_bodies" "$WORK/batch_bodies"
before=$(lines "$WORK/r1.jsonl")
run_cli 0 run -q --no-history --tasks "$T" --models "$M" --resume "$WORK/b" --batch --batch-poll 0.02
check "resume of a finished batch run sent nothing" test "$(lines "$WORK/r1.jsonl")" -eq "$before"
# killed while recording: the ended operation (which holds the inline results) is read once
resume_torn "$WORK/b" "$WORK/h" "$WORK/r1.jsonl"
check "torn resume: no new batch" test "$(count "$WORK/torn.jsonl" POST ':batchGenerateContent$')" -eq 0
check "torn resume: the operation read once" test "$(count "$WORK/torn.jsonl" GET '/v1beta/batches/b1$')" -eq 1
check "metadata keys are the custom_ids" test "$(jq -r 'select(.method == "POST" and (.path | test(":batchGenerateContent$"))) | .body' "$WORK/r1.jsonl" | jq -r '.batch.input_config.requests.requests[].metadata.key' | sort | tr '\n' ' ')" = "$(printf '%s\n' "$id1" "$id2" "$id3" | sort | tr '\n' ' ')"
stop_server

# ---- a request error, then an expired batch
script "$(op BATCH_STATE_SUCCEEDED "$mixed")" >"$WORK/s2.json"
start_server "$WORK/s2.json" "$WORK/r2.jsonl"
export LLMT_GEMINI_BASE_URL="$base/v1beta"
# lines that failed or expired have no answer: exit 3 (resumed without --batch below)
run_cli 3 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/p" --batch --batch-poll 0.02
check "the INVALID_ARGUMENT line is bad_request" \
    test "$(jq -r --arg c "$2" 'select(.case == $c) | .error.class' "$WORK/p/results.jsonl")" = bad_request
check "the others are answered" test "$(jq -s '[.[] | select(.error == null)] | length' "$WORK/p/results.jsonl")" -eq 2
stop_server
script "$(op BATCH_STATE_EXPIRED)" >"$WORK/s3.json"
start_server "$WORK/s3.json" "$WORK/r3.jsonl"
export LLMT_GEMINI_BASE_URL="$base/v1beta"
run_cli 3 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/x" --batch --batch-poll 0.02
check "an expired batch's lines are timeout" \
    test "$(jq -s '[.[] | select(.error.class == "timeout" and .batch == true)] | length' "$WORK/x/results.jsonl")" -eq 3
stop_server

# ---- killed between submit and completion; cancel; resume
jq -n --argjson p "$(op BATCH_STATE_PENDING)" '
{match: [
  {method: "POST", path_contains: ":batchGenerateContent", reply: {body: $p}},
  {method: "POST", path_contains: "/batches/b1:cancel", reply: {body: {}}},
  {method: "GET", path_contains: "/v1beta/batches/b1", reply: {body: $p}}
]}' >"$WORK/s4.json"
start_server "$WORK/s4.json" "$WORK/r4.jsonl"
export LLMT_GEMINI_BASE_URL="$base/v1beta"
kill_after_submit "$WORK/k" batches/b1 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/k" --batch --batch-poll 0.02
check "the batch name was recorded before the kill" contains "$WORK/k/batches.jsonl" batches/b1
run_cli 0 batches cancel "$WORK/k"
check "cancel posted batches/b1:cancel" test "$(count "$WORK/r4.jsonl" POST '/v1beta/batches/b1:cancel$')" -eq 1
stop_server
script "$(op BATCH_STATE_SUCCEEDED "$all_ok")" >"$WORK/s5.json"
start_server "$WORK/s5.json" "$WORK/r5.jsonl"
export LLMT_GEMINI_BASE_URL="$base/v1beta"
run_cli 0 run -q --no-history --tasks "$T" --models "$M" --resume "$WORK/k" --batch --batch-poll 0.02
check "resume after a kill: no new batch" test "$(count "$WORK/r5.jsonl" POST ':batchGenerateContent$')" -eq 0
check "resume after a kill: 3 batch results" \
    test "$(jq -s '[.[] | select(.batch == true and .error == null)] | length' "$WORK/k/results.jsonl")" -eq 3
stop_server

# ---- a batch cancelled after answering one line: the run says what has no result, and
# --resume --batch puts the two unanswered lines into a new batch (once), keeping the
# answered one; resuming again contacts nothing
one=$(jq -sc . <<EOF2
$(ok_resp "$id1")
EOF2
)
two=$(jq -sc . <<EOF2
$(ok_resp "$id2")
$(ok_resp "$id3")
EOF2
)
op2() { op "$@" | jq -c '.name = "batches/b2" | .metadata.name = "batches/b2"'; }
jq -n --argjson p "$(op BATCH_STATE_PENDING)" --argjson c "$(op BATCH_STATE_CANCELLED "$one")" '
{match: [
  {method: "POST", path_contains: ":batchGenerateContent", reply: {body: $p}},
  {method: "GET", path_contains: "/v1beta/batches/b1", reply: {body: $c}}
]}' >"$WORK/s6.json"
start_server "$WORK/s6.json" "$WORK/r6.jsonl"
export LLMT_GEMINI_BASE_URL="$base/v1beta"
run_cli 3 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/c" --batch --batch-poll 0.02
check "cancelled: the answered line is recorded" test "$(lines "$WORK/c/results.jsonl")" -eq 1
check "cancelled: the run says 2 jobs have no result" contains "$WORK/err" "2 job(s) have no result: their batch was cancelled"
check "cancelled: and how to send them" contains "$WORK/err" "--resume $WORK/c --batch submits them again"
stop_server
jq -n --argjson c "$(op BATCH_STATE_CANCELLED "$one")" --argjson p2 "$(op2 BATCH_STATE_PENDING)" \
      --argjson d2 "$(op2 BATCH_STATE_SUCCEEDED "$two")" '
{match: [
  {method: "GET", path_contains: "/v1beta/batches/b1", reply: {body: $c}},
  {method: "POST", path_contains: ":batchGenerateContent", reply: {body: $p2}},
  {method: "GET", path_contains: "/v1beta/batches/b2", times: 1, reply: {body: $p2}},
  {method: "GET", path_contains: "/v1beta/batches/b2", reply: {body: $d2}}
]}' >"$WORK/s7.json"
start_server "$WORK/s7.json" "$WORK/r7.jsonl"
export LLMT_GEMINI_BASE_URL="$base/v1beta"
run_cli 0 run -q --no-history --tasks "$T" --models "$M" --resume "$WORK/c" --batch --batch-poll 0.02
check "cancelled resume: one new batch" test "$(count "$WORK/r7.jsonl" POST ':batchGenerateContent$')" -eq 1
check "cancelled resume: it carries the 2 unanswered lines" \
    test "$(jq -r 'select(.method == "POST") | .body' "$WORK/r7.jsonl" | jq -r '.batch.input_config.requests.requests[].metadata.key' | sort | tr '\n' ' ')" = "$(printf '%s\n' "$id2" "$id3" | sort | tr '\n' ' ')"
check "cancelled resume: the cancelled batch polled once" test "$(count "$WORK/r7.jsonl" GET '/v1beta/batches/b1$')" -eq 1
check "cancelled resume: one result per case" one_result_per_case "$WORK/c"
check "cancelled resume: batches.jsonl names both batches" \
    test "$(jq -r '.batch_id' "$WORK/c/batches.jsonl" | tr '\n' ' ')" = "batches/b1 batches/b2 "
resume_logged 0 "$WORK/c" "$WORK/r7.jsonl" "$WORK/c2.log"
check "cancelled resume, then again: nothing contacted" test "$(lines "$WORK/c2.log")" -eq 0
stop_server
finish
