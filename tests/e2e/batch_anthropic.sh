# End to end: `run --batch` with Anthropic's Message Batches against fake-http-server
# (POST /v1/messages/batches with custom_ids and params, GET /v1/messages/batches/ID
# through in_progress to ended, GET .../results, POST .../cancel). Checks: one batch
# for 3 cases, no /v1/messages call, params equal the interactive bodies, half the
# interactive cost, succeeded/errored/expired lines, resume after a kill, cancel.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/batch.sh"
M=anthropic:claude-haiku-4-5
export ANTHROPIC_API_KEY="sk-ant-e2e-VERYSECRET"

msg() { jq -nc --arg c "$1" '{id:"msg_1",type:"message",role:"assistant",model:"claude-haiku-4-5-20251001",content:[{type:"text",text:$c}],stop_reason:"end_turn",usage:{input_tokens:1000,output_tokens:100}}'; }
ANS='{"title":"x"}'
batch_obj() { # STATUS PROCESSING SUCCEEDED ERRORED EXPIRED
    jq -nc --arg s "$1" --argjson p "$2" --argjson ok "$3" --argjson e "$4" --argjson x "$5" \
        '{id:"msgbatch_1",type:"message_batch",processing_status:$s,
          request_counts:{processing:$p,succeeded:$ok,errored:$e,canceled:0,expired:$x},
          ended_at:null,created_at:"2026-12-03T10:00:00Z",expires_at:"2026-12-04T10:00:00Z",
          cancel_initiated_at:null,
          results_url:(if $s == "ended" then "https://api.anthropic.com/v1/messages/batches/msgbatch_1/results" else null end)}'
}
set -- $CASES
id1=$($IDS job_ads "$1" "$M" 0)
id2=$($IDS job_ads "$2" "$M" 0)
id3=$($IDS job_ads "$3" "$M" 0)
ok_line() { jq -nc --arg id "$1" --argjson m "$(msg "$ANS")" '{custom_id:$id,result:{type:"succeeded",message:$m}}'; }
{ ok_line "$id1"; ok_line "$id2"; ok_line "$id3"; } >"$WORK/all_ok.jsonl"
{
    ok_line "$id1"
    jq -nc --arg id "$id2" '{custom_id:$id,result:{type:"errored",error:{type:"error",error:{type:"invalid_request_error",message:"max_tokens: too large"}}}}'
    jq -nc --arg id "$id3" '{custom_id:$id,result:{type:"expired"}}'
} >"$WORK/mixed.jsonl"

script() { # RESULTS_FILE: created, in_progress twice, then ended
    jq -n --argjson ip "$(batch_obj in_progress 3 0 0 0)" --argjson done "$(batch_obj ended 0 3 0 0)" \
          --arg res "$1" --argjson msg "$(msg "$ANS")" '
    {match: [
      {method: "POST", path_contains: "/v1/messages/batches/msgbatch_1/cancel", reply: {body: $ip}},
      {method: "POST", path_contains: "/v1/messages/batches", reply: {body: $ip}},
      {method: "GET", path_contains: "/v1/messages/batches/msgbatch_1/results", reply: {headers: {"Content-Type": "application/binary"}, body_file: $res}},
      {method: "GET", path_contains: "/v1/messages/batches/msgbatch_1", times: 2, reply: {body: $ip}},
      {method: "GET", path_contains: "/v1/messages/batches/msgbatch_1", reply: {body: $done}},
      {method: "POST", path_contains: "/v1/messages", reply: {body: $msg}}
    ]}'
}
script "$WORK/all_ok.jsonl" >"$WORK/s1.json"
start_server "$WORK/s1.json" "$WORK/r1.jsonl"
export LLMT_ANTHROPIC_BASE_URL="$base"

run_cli 0 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/live"
run_cli 0 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/b" --batch --batch-poll 0.02
R="$WORK/b/results.json"
check "3 batch results without errors" \
    test "$(jq '[.results[] | select(.batch == true and .error == null)] | length' "$R")" -eq 3
check "batch costs half the interactive run" half "$(sum_cost "$WORK/live")" "$(sum_cost "$WORK/b")"
check "one batch created" test "$(count "$WORK/r1.jsonl" POST '/v1/messages/batches$')" -eq 1
check "only the interactive run called /v1/messages" test "$(count "$WORK/r1.jsonl" POST '/v1/messages$')" -eq 3
check "the batch carries the API headers" test "$(jq -r 'select(.method == "POST" and (.path | test("/batches$"))) | .headers["anthropic-version"]' "$WORK/r1.jsonl")" = 2023-06-01
jq -r 'select(.method == "POST" and (.path | test("/v1/messages$"))) | .body' "$WORK/r1.jsonl" | jq -cS . | sort >"$WORK/live_bodies"
jq -r 'select(.method == "POST" and (.path | test("/batches$"))) | .body' "$WORK/r1.jsonl" | jq -cS '.requests[].params' | sort >"$WORK/batch_bodies"
check "params equal the interactive bodies" cmp -s "$WORK/live_bodies" "$WORK/batch_bodies"
check "custom_ids are the tool's" test "$(jq -r 'select(.method == "POST" and (.path | test("/batches$"))) | .body' "$WORK/r1.jsonl" | jq -r '.requests[].custom_id' | sort | tr '\n' ' ')" = "$(printf '%s\n' "$id1" "$id2" "$id3" | sort | tr '\n' ' ')"
before=$(lines "$WORK/r1.jsonl")
run_cli 0 run -q --no-history --tasks "$T" --models "$M" --resume "$WORK/b" --batch --batch-poll 0.02
check "resume of a finished batch run sent nothing" test "$(lines "$WORK/r1.jsonl")" -eq "$before"
# killed while recording: the ended batch's results are read once more, only what is
# missing is recorded
resume_torn "$WORK/b" "$WORK/h" "$WORK/r1.jsonl"
check "torn resume: no new batch" test "$(count "$WORK/torn.jsonl" POST '/batches$')" -eq 0
check "torn resume: the results read once" test "$(count "$WORK/torn.jsonl" GET '/results$')" -eq 1
stop_server

# ---- succeeded, errored and expired lines
script "$WORK/mixed.jsonl" >"$WORK/s2.json"
start_server "$WORK/s2.json" "$WORK/r2.jsonl"
export LLMT_ANTHROPIC_BASE_URL="$base"
# lines that failed or expired have no answer: exit 3 (resumed without --batch below)
run_cli 3 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/p" --batch --batch-poll 0.02
R="$WORK/p/results.jsonl"
cls() { jq -r --arg c "$1" 'select(.case == $c) | (.error.class // "ok")' "$R"; }
check "succeeded line ok" test "$(cls "$1")" = ok
check "errored line is bad_request" test "$(cls "$2")" = bad_request
check "expired line is timeout" test "$(cls "$3")" = timeout
run_cli 0 run -q --no-history --tasks "$T" --models "$M" --resume "$WORK/p"
check "resume without --batch re-ran 2 lines interactively" test "$(count "$WORK/r2.jsonl" POST '/v1/messages$')" -eq 2
stop_server

# ---- killed between submit and completion
jq -n --argjson ip "$(batch_obj in_progress 3 0 0 0)" --argjson c "$(batch_obj canceling 3 0 0 0)" '
{match: [
  {method: "POST", path_contains: "/v1/messages/batches/msgbatch_1/cancel", reply: {body: $c}},
  {method: "POST", path_contains: "/v1/messages/batches", reply: {body: $ip}},
  {method: "GET", path_contains: "/v1/messages/batches/msgbatch_1", reply: {body: $ip}}
]}' >"$WORK/s3.json"
start_server "$WORK/s3.json" "$WORK/r3.jsonl"
export LLMT_ANTHROPIC_BASE_URL="$base"
kill_after_submit "$WORK/k" msgbatch_1 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/k" --batch --batch-poll 0.02
check "the batch id was recorded before the kill" contains "$WORK/k/batches.jsonl" msgbatch_1
run_cli 0 batches list "$WORK/k"
check "list shows in_progress" contains "$WORK/out" "in_progress"
check "list sent no cancel" test "$(count "$WORK/r3.jsonl" POST '/cancel$')" -eq 0
run_cli 0 batches cancel "$WORK/k"
check "cancel posted .../msgbatch_1/cancel" test "$(count "$WORK/r3.jsonl" POST '/v1/messages/batches/msgbatch_1/cancel$')" -eq 1
stop_server
script "$WORK/all_ok.jsonl" >"$WORK/s4.json"
start_server "$WORK/s4.json" "$WORK/r4.jsonl"
export LLMT_ANTHROPIC_BASE_URL="$base"
run_cli 0 run -q --no-history --tasks "$T" --models "$M" --resume "$WORK/k" --batch --batch-poll 0.02
check "resume after a kill: no new batch" test "$(count "$WORK/r4.jsonl" POST '/v1/messages/batches$')" -eq 0
check "resume after a kill: 3 batch results" \
    test "$(jq -s '[.[] | select(.batch == true and .error == null)] | length' "$WORK/k/results.jsonl")" -eq 3
run_cli 0 batches cancel "$WORK/k"
check "cancel is not sent for an ended batch" test "$(count "$WORK/r4.jsonl" POST '/cancel$')" -eq 0
check "list shows ended" contains "$WORK/out" "ended"
stop_server

# ---- a batch cancelled after answering one line ends "ended" with two "canceled" lines:
# the run says they have no result; --resume --batch sends those two in a new batch
cbatch() { # ID STATUS PROCESSING SUCCEEDED CANCELED
    batch_obj "$2" "$3" "$4" 0 0 | jq -c --arg id "$1" --argjson c "$5" '.id = $id | .request_counts.canceled = $c'
}
{
    ok_line "$id1"
    jq -nc --arg id "$id2" '{custom_id:$id,result:{type:"canceled"}}'
    jq -nc --arg id "$id3" '{custom_id:$id,result:{type:"canceled"}}'
} >"$WORK/canceled.jsonl"
{ ok_line "$id2"; ok_line "$id3"; } >"$WORK/two_ok.jsonl"
jq -n --argjson ip "$(cbatch msgbatch_1 in_progress 3 0 0)" --argjson c "$(cbatch msgbatch_1 ended 0 1 2)" \
      --argjson ip2 "$(cbatch msgbatch_2 in_progress 2 0 0)" --argjson d2 "$(cbatch msgbatch_2 ended 0 2 0)" \
      --arg res1 "$WORK/canceled.jsonl" --arg res2 "$WORK/two_ok.jsonl" '
{match: [
  {method: "GET", path_contains: "/v1/messages/batches/msgbatch_1/results", reply: {body_file: $res1}},
  {method: "GET", path_contains: "/v1/messages/batches/msgbatch_1", reply: {body: $c}},
  {method: "GET", path_contains: "/v1/messages/batches/msgbatch_2/results", reply: {body_file: $res2}},
  {method: "GET", path_contains: "/v1/messages/batches/msgbatch_2", reply: {body: $d2}},
  {method: "POST", path_contains: "/v1/messages/batches", body_contains: "\"custom_id\":\"'"$id1"'\"", reply: {body: $ip}},
  {method: "POST", path_contains: "/v1/messages/batches", reply: {body: $ip2}}
]}' >"$WORK/s5.json"
start_server "$WORK/s5.json" "$WORK/r5.jsonl"
export LLMT_ANTHROPIC_BASE_URL="$base"
run_cli 3 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/c" --batch --batch-poll 0.02
check "canceled: the answered line is recorded" test "$(lines "$WORK/c/results.jsonl")" -eq 1
check "canceled: the run says 2 jobs have no result" contains "$WORK/err" "2 job(s) have no result"
run_cli 0 batches list "$WORK/c"
check "canceled: list says so" contains "$WORK/out" "ended (canceled)"
resume_logged 0 "$WORK/c" "$WORK/r5.jsonl" "$WORK/c.log"
check "canceled resume: one new batch" test "$(count "$WORK/c.log" POST '/v1/messages/batches$')" -eq 1
check "canceled resume: it carries the 2 canceled lines" \
    test "$(jq -r 'select(.method == "POST") | .body' "$WORK/c.log" | jq -r '.requests[].custom_id' | sort | tr '\n' ' ')" = "$(printf '%s\n' "$id2" "$id3" | sort | tr '\n' ' ')"
check "canceled resume: one batch result per case" one_result_per_case "$WORK/c"
check "canceled resume: all answered" test "$(jq -s '[.[] | select(.error == null and .batch == true)] | length' "$WORK/c/results.jsonl")" -eq 3
resume_logged 0 "$WORK/c" "$WORK/r5.jsonl" "$WORK/c2.log"
check "canceled resume, then again: nothing contacted" test "$(lines "$WORK/c2.log")" -eq 0
stop_server
finish
