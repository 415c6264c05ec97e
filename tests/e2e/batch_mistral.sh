# End to end: `run --batch` with Mistral's batch jobs against fake-http-server (POST
# /v1/files multipart purpose=batch, POST /v1/batch/jobs, GET /v1/batch/jobs/ID through
# QUEUED and RUNNING to SUCCESS, GET /v1/files/ID/content for output and error files,
# POST /v1/batch/jobs/ID/cancel). Checks: one upload and one job naming the model for 3
# cases, no chat call, the lines carry the interactive bodies, half the cost, a failed
# line with its class, resume after a kill, cancel.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/batch.sh"
M=mistral:mistral-small-latest
export MISTRAL_API_KEY="mistral-e2e-VERYSECRET"

chat() { jq -nc --arg c "$1" '{id:"cmpl-1",object:"chat.completion",model:"mistral-small-latest",choices:[{index:0,message:{role:"assistant",content:$c},finish_reason:"stop"}],usage:{prompt_tokens:1000,completion_tokens:100,total_tokens:1100}}'; }
ANS='{"title":"x"}'
job() { # STATUS OUTPUT ERROR SUCCEEDED FAILED
    jq -nc --arg s "$1" --arg o "$2" --arg e "$3" --argjson ok "$4" --argjson f "$5" \
        '{id:"job-1",object:"batch",input_files:["file-in"],endpoint:"/v1/chat/completions",
          model:"mistral-small-latest",errors:[],status:$s,created_at:1,
          output_file:(if $o == "" then null else $o end),error_file:(if $e == "" then null else $e end),
          total_requests:3,completed_requests:($ok + $f),succeeded_requests:$ok,failed_requests:$f}'
}
set -- $CASES
line_ok() { jq -nc --arg id "$($IDS job_ads "$1" "$M" 0)" --argjson b "$(chat "$ANS")" '{id:"r",custom_id:$id,response:{status_code:200,body:$b},error:null}'; }
{ line_ok "$1"; line_ok "$2"; line_ok "$3"; } >"$WORK/out.jsonl"
{ line_ok "$1"; line_ok "$2"; } >"$WORK/out2.jsonl"
jq -nc --arg id "$($IDS job_ads "$3" "$M" 0)" \
    '{id:"r",custom_id:$id,response:{status_code:422,body:{object:"error",message:"Extra inputs are not permitted",type:"invalid_request_error",code:"3051"}},error:null}' >"$WORK/err2.jsonl"

script() { # OUTPUT_BODY_FILE ERROR_BODY_FILE SUCCEEDED FAILED
    jq -n --argjson q "$(job QUEUED "" "" 0 0)" --argjson r "$(job RUNNING "" "" 1 0)" \
          --argjson done "$(job SUCCESS file-out "$([ -n "$2" ] && echo file-err)" "$3" "$4")" \
          --arg out "$1" --arg err "${2:-/dev/null}" --argjson chat "$(chat "$ANS")" '
    {match: [
      {method: "POST", path_contains: "/v1/files", reply: {body: {id: "file-in", object: "file", purpose: "batch", sample_type: "batch_request", source: "upload", num_lines: 3}}},
      {method: "POST", path_contains: "/v1/batch/jobs/job-1/cancel", reply: {body: $r}},
      {method: "POST", path_contains: "/v1/batch/jobs", reply: {body: $q}},
      {method: "GET", path_contains: "/v1/batch/jobs/job-1", times: 1, reply: {body: $q}},
      {method: "GET", path_contains: "/v1/batch/jobs/job-1", times: 1, reply: {body: $r}},
      {method: "GET", path_contains: "/v1/batch/jobs/job-1", reply: {body: $done}},
      {method: "GET", path_contains: "/v1/files/file-out/content", reply: {body_file: $out}},
      {method: "GET", path_contains: "/v1/files/file-err/content", reply: {body_file: $err}},
      {method: "POST", path_contains: "/v1/chat/completions", reply: {body: $chat}}
    ]}'
}
script "$WORK/out.jsonl" "" 3 0 >"$WORK/s1.json"
start_server "$WORK/s1.json" "$WORK/r1.jsonl"
export LLMT_MISTRAL_BASE_URL="$base/v1"

run_cli 0 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/live"
run_cli 0 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/b" --batch --batch-poll 0.02
check "3 batch results without errors" \
    test "$(jq '[.results[] | select(.batch == true and .error == null)] | length' "$WORK/b/results.json")" -eq 3
check "batch costs half the interactive run" half "$(sum_cost "$WORK/live")" "$(sum_cost "$WORK/b")"
check "one upload" test "$(count "$WORK/r1.jsonl" POST '/v1/files$')" -eq 1
check "one job" test "$(count "$WORK/r1.jsonl" POST '/v1/batch/jobs$')" -eq 1
check "only the interactive run called chat/completions" test "$(count "$WORK/r1.jsonl" POST '/chat/completions$')" -eq 3
check "the job names input file, endpoint and model" \
    test "$(jq -r 'select(.method == "POST" and (.path | test("/v1/batch/jobs$"))) | .body | fromjson | "\(.input_files[0]) \(.endpoint) \(.model)"' "$WORK/r1.jsonl")" = "file-in /v1/chat/completions mistral-small-latest"
jq -r 'select(.method == "POST" and (.path | test("/v1/files$"))) | .body' "$WORK/r1.jsonl" | grep '^{"custom_id"' | tr -d '\r' >"$WORK/lines.jsonl"
jq -r 'select(.method == "POST" and (.path | test("/chat/completions$"))) | .body' "$WORK/r1.jsonl" | jq -cS . | sort >"$WORK/live_bodies"
jq -cS '.body' "$WORK/lines.jsonl" | sort >"$WORK/batch_bodies"
check "3 lines uploaded" test "$(lines "$WORK/lines.jsonl")" -eq 3
check "line bodies equal the interactive bodies" cmp -s "$WORK/live_bodies" "$WORK/batch_bodies"
# killed while recording: the output file is read once more, only what is missing recorded
resume_torn "$WORK/b" "$WORK/h" "$WORK/r1.jsonl"
check "torn resume: no upload, no job" test "$(jq -s '[.[] | select(.method == "POST")] | length' "$WORK/torn.jsonl")" -eq 0
check "torn resume: the output file read once" test "$(count "$WORK/torn.jsonl" GET '/v1/files/file-out/content$')" -eq 1
stop_server

# ---- a failed line
script "$WORK/out2.jsonl" "$WORK/err2.jsonl" 2 1 >"$WORK/s2.json"
start_server "$WORK/s2.json" "$WORK/r2.jsonl"
export LLMT_MISTRAL_BASE_URL="$base/v1"
# lines that failed or expired have no answer: exit 3 (resumed without --batch below)
run_cli 3 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/p" --batch --batch-poll 0.02
check "the 422 line is bad_request" \
    test "$(jq -r --arg c "$3" 'select(.case == $c) | .error.class' "$WORK/p/results.jsonl")" = bad_request
check "the other two are answered" test "$(jq -s '[.[] | select(.error == null)] | length' "$WORK/p/results.jsonl")" -eq 2
stop_server

# ---- killed between submit and completion; list and cancel; resume
jq -n --argjson q "$(job QUEUED "" "" 0 0)" --argjson c "$(job CANCELLATION_REQUESTED "" "" 0 0)" '
{match: [
  {method: "POST", path_contains: "/v1/files", reply: {body: {id: "file-in", object: "file", purpose: "batch"}}},
  {method: "POST", path_contains: "/v1/batch/jobs/job-1/cancel", reply: {body: $c}},
  {method: "POST", path_contains: "/v1/batch/jobs", reply: {body: $q}},
  {method: "GET", path_contains: "/v1/batch/jobs/job-1", reply: {body: $q}}
]}' >"$WORK/s3.json"
start_server "$WORK/s3.json" "$WORK/r3.jsonl"
export LLMT_MISTRAL_BASE_URL="$base/v1"
kill_after_submit "$WORK/k" job-1 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/k" --batch --batch-poll 0.02
check "the job id was recorded before the kill" contains "$WORK/k/batches.jsonl" job-1
run_cli 0 batches cancel "$WORK/k"
check "cancel posted /v1/batch/jobs/job-1/cancel" test "$(count "$WORK/r3.jsonl" POST '/v1/batch/jobs/job-1/cancel$')" -eq 1
stop_server
script "$WORK/out.jsonl" "" 3 0 >"$WORK/s4.json"
start_server "$WORK/s4.json" "$WORK/r4.jsonl"
export LLMT_MISTRAL_BASE_URL="$base/v1"
run_cli 0 run -q --no-history --tasks "$T" --models "$M" --resume "$WORK/k" --batch --batch-poll 0.02
check "resume after a kill: no new upload or job" \
    test "$(count "$WORK/r4.jsonl" POST '/v1/(files|batch/jobs)$')" -eq 0
check "resume after a kill: 3 batch results" \
    test "$(jq -s '[.[] | select(.batch == true and .error == null)] | length' "$WORK/k/results.jsonl")" -eq 3
stop_server
finish
