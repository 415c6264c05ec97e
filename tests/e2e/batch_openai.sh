# End to end: `run --batch` with OpenAI's Batch API against fake-http-server, speaking
# its wire format (POST /files multipart purpose=batch, POST /batches, GET /batches/ID,
# GET /files/ID/content, POST /batches/ID/cancel). Checks: one upload and one batch for
# 3 cases, no chat-completions call, the lines carry exactly the interactive bodies,
# half the interactive cost, "batch": true; partial failures and expired lines recorded
# with their class and re-run interactively by --resume without --batch; a run killed
# between submit and completion resumed by polling the same batch; a finished run
# resumed sends nothing; batches list / cancel.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/batch.sh"
M=openai:gpt-4.1-mini

KEY="sk-e2e-VERYSECRET-batch"
export OPENAI_API_KEY="$KEY"

ANS='{"title":"x"}'
batch_obj() { # STATUS [OUTPUT_FILE ERROR_FILE COMPLETED FAILED]
    jq -nc --arg s "$1" --arg o "${2:-}" --arg e "${3:-}" --argjson c "${4:-0}" --argjson f "${5:-0}" \
        '{id:"batch_1",object:"batch",endpoint:"/v1/chat/completions",errors:null,input_file_id:"file-in1",
          completion_window:"24h",status:$s,output_file_id:(if $o == "" then null else $o end),
          error_file_id:(if $e == "" then null else $e end),created_at:1,
          request_counts:{total:3,completed:$c,failed:$f},metadata:{}}'
}

# output file: every case answered (custom_ids as the tool makes them)
: >"$WORK/out.jsonl"
for c in $CASES; do
    id=$($IDS job_ads "$c" "$M" 0)
    jq -nc --arg id "$id" --argjson b "$(openai_chat "$ANS")" \
        '{id:("batch_req_" + $id),custom_id:$id,response:{status_code:200,request_id:"req_1",body:$b},error:null}' >>"$WORK/out.jsonl"
done

script_ok() { # the whole lifecycle: validating, in_progress twice, completed
    jq -n --argjson v "$(batch_obj validating)" --argjson ip "$(batch_obj in_progress "" "" 1 0)" \
          --argjson done "$(batch_obj completed file-out1 "" 3 0)" --arg out "$WORK/out.jsonl" \
          --argjson chat "$(openai_chat "$ANS")" '
    {match: [
      {method: "POST", path_contains: "/v1/files", reply: {body: {id: "file-in1", object: "file", bytes: 10, created_at: 1, filename: "llm-tester-batch.jsonl", purpose: "batch"}}},
      {method: "POST", path_contains: "/v1/batches", reply: {body: $v}},
      {method: "GET", path_contains: "/v1/batches/batch_1", times: 2, reply: {body: $ip}},
      {method: "GET", path_contains: "/v1/batches/batch_1", reply: {body: $done}},
      {method: "GET", path_contains: "/v1/files/file-out1/content", reply: {headers: {"Content-Type": "application/octet-stream"}, body_file: $out}},
      {method: "POST", path_contains: "/v1/chat/completions", reply: {body: $chat}}
    ]}'
}
script_ok >"$WORK/s1.json"
start_fake_http "$WORK/s1.json" "$WORK/r1.jsonl"
export LLMT_OPENAI_BASE_URL="$base/v1"

# ---- interactive reference run, then the batch run
run_cli 0 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/live"
run_cli 0 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/b" --batch --batch-poll 0.02
R="$WORK/b/results.json"
check "3 results" test "$(jq '.results | length' "$R")" -eq 3
check "every result says batch: true" test "$(jq '[.results[] | select(.batch == true)] | length' "$R")" -eq 3
check "no errors" test "$(jq '[.results[] | select(.error != null)] | length' "$R")" -eq 0
check "usage as interactively" test "$(jq '[.results[] | select(.usage.input_tokens == 1000 and .usage.output_tokens == 100)] | length' "$R")" -eq 3
live=$(sum_cost "$WORK/live")
bat=$(sum_cost "$WORK/b")
check "batch costs half the interactive run ($bat vs $live)" half "$live" "$bat"
n_chat=$(count "$WORK/r1.jsonl" POST '/chat/completions$')
check "3 chat calls were the interactive run's only" test "$n_chat" -eq 3
check "one upload" test "$(count "$WORK/r1.jsonl" POST '/v1/files$')" -eq 1
check "one batch" test "$(count "$WORK/r1.jsonl" POST '/v1/batches$')" -eq 1
check "the batch names the endpoint and the window" \
    test "$(jq -r 'select(.method == "POST" and (.path | test("/v1/batches$"))) | .body | fromjson | "\(.input_file_id) \(.endpoint) \(.completion_window)"' "$WORK/r1.jsonl")" = "file-in1 /v1/chat/completions 24h"
up=$(jq -r 'select(.method == "POST" and (.path | test("/v1/files$"))) | .body' "$WORK/r1.jsonl")
check "the upload is multipart with purpose=batch" sh -c 'printf "%s" "$1" | grep -q "name=\"purpose\"" && printf "%s" "$1" | grep -q "^batch"' _ "$up"
printf '%s\n' "$up" | grep '^{"custom_id"' | tr -d '\r' >"$WORK/lines.jsonl"
check "the upload holds 3 lines" test "$(lines "$WORK/lines.jsonl")" -eq 3
check "each line is POST /v1/chat/completions" \
    test "$(jq -r '"\(.method) \(.url)"' "$WORK/lines.jsonl" | sort -u)" = "POST /v1/chat/completions"
# the line bodies are the interactive bodies, byte for byte
jq -r 'select(.method == "POST" and (.path | test("/chat/completions$"))) | .body' "$WORK/r1.jsonl" | jq -cS . | sort >"$WORK/live_bodies"
jq -cS '.body' "$WORK/lines.jsonl" | sort >"$WORK/batch_bodies"
check "batch line bodies equal the interactive bodies" cmp -s "$WORK/live_bodies" "$WORK/batch_bodies"
check "batches.jsonl records the batch and its lines" \
    test "$(jq -r '"\(.provider) \(.model) \(.batch_id) \(.custom_ids | length)"' "$WORK/b/batches.jsonl")" = "openai gpt-4.1-mini batch_1 3"
check "the key is in no output file" sh -c '! grep -rq "$1" "$2"' _ "$KEY" "$WORK/b"

# ---- resuming a finished batch run sends nothing
before=$(lines "$WORK/r1.jsonl")
run_cli 0 run -q --no-history --tasks "$T" --models "$M" --resume "$WORK/b" --batch --batch-poll 0.02
check "resume of a finished batch run sent nothing" test "$(lines "$WORK/r1.jsonl")" -eq "$before"
# killed while recording: the output file is read once more, only what is missing recorded
resume_torn "$WORK/b" "$WORK/h" "$WORK/r1.jsonl"
check "torn resume: no upload, no batch" test "$(jq -s '[.[] | select(.method == "POST")] | length' "$WORK/torn.jsonl")" -eq 0
check "torn resume: the output file read once" test "$(count "$WORK/torn.jsonl" GET '/v1/files/file-out1/content$')" -eq 1
stop_fake_http

# ---- dry run prices at the batch rate
run_cli 0 run --no-history --tasks "$T" --models "$M" --dry-run
live_max=$(grep -o '\$[0-9.]*' "$WORK/out" | tail -1)
check "dry run without --batch: no model marked batch" sh -c "! grep -q ' batch\$' '$WORK/out'"
run_cli 0 run --no-history --tasks "$T" --models "$M" --dry-run --batch
bat_max=$(grep -o '\$[0-9.]*' "$WORK/out" | tail -1)
check "dry run --batch: the model is marked batch" grep -Eq "^$M .* batch\$" "$WORK/out"
check "dry run --batch: the mark is explained" contains "$WORK/out" "priced at their provider's batch rate"
check "dry run: batch estimate is half ($bat_max vs $live_max)" \
    test "$(jq -n --arg a "${live_max#\$}" --arg b "${bat_max#\$}" '(($a | tonumber) / 2 - ($b | tonumber) | fabs) < 1e-5')" = true

# ---- partial failures and expired lines
set -- $CASES
: >"$WORK/out2.jsonl"
jq -nc --arg id "$($IDS job_ads "$1" "$M" 0)" --argjson b "$(openai_chat "$ANS")" \
    '{id:"r1",custom_id:$id,response:{status_code:200,request_id:"req_1",body:$b},error:null}' >>"$WORK/out2.jsonl"
jq -nc --arg id "$($IDS job_ads "$2" "$M" 0)" \
    '{id:"r2",custom_id:$id,response:{status_code:400,request_id:"req_2",body:{error:{message:"Invalid schema for response_format",type:"invalid_request_error",code:null}}},error:null}' >"$WORK/err2.jsonl"
jq -nc --arg id "$($IDS job_ads "$3" "$M" 0)" \
    '{id:"r3",custom_id:$id,response:null,error:{code:"batch_expired",message:"This request could not be executed before the completion window expired."}}' >>"$WORK/err2.jsonl"
jq -n --argjson v "$(batch_obj validating)" --argjson done "$(batch_obj expired file-out2 file-err2 1 2)" \
      --arg out "$WORK/out2.jsonl" --arg err "$WORK/err2.jsonl" --argjson chat "$(openai_chat "$ANS")" '
{match: [
  {method: "POST", path_contains: "/v1/files", reply: {body: {id: "file-in2", object: "file", purpose: "batch"}}},
  {method: "POST", path_contains: "/v1/batches", reply: {body: $v}},
  {method: "GET", path_contains: "/v1/batches/batch_1", reply: {body: $done}},
  {method: "GET", path_contains: "/v1/files/file-out2/content", reply: {body_file: $out}},
  {method: "GET", path_contains: "/v1/files/file-err2/content", times: 1, reply: {status: 503, body: {error: {message: "The server is overloaded.", type: "server_error"}}}},
  {method: "GET", path_contains: "/v1/files/file-err2/content", reply: {body_file: $err}},
  {method: "POST", path_contains: "/v1/chat/completions", reply: {body: $chat}}
]}' >"$WORK/s2.json"
start_fake_http "$WORK/s2.json" "$WORK/r2.jsonl"
export LLMT_OPENAI_BASE_URL="$base/v1"
# lines that failed or expired have no answer: exit 3 (resumed without --batch below)
run_cli 3 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/p" --batch --batch-poll 0.02
R="$WORK/p/results.jsonl"
check "partial: 3 result lines" test "$(lines "$R")" -eq 3
# the error file failed once (503): the batch was polled again and only that file fetched again
check "partial: the output file read once" test "$(count "$WORK/r2.jsonl" GET '/v1/files/file-out2/content$')" -eq 1
check "partial: the error file read again after its 503" test "$(count "$WORK/r2.jsonl" GET '/v1/files/file-err2/content$')" -eq 2
cls() { jq -r --arg c "$1" 'select(.case == $c) | (.error.class // "ok")' "$R"; }
check "partial: the answered line is ok" test "$(cls "$1")" = ok
check "partial: the refused line is bad_request" test "$(cls "$2")" = bad_request
check "partial: the expired line is timeout" test "$(cls "$3")" = timeout
check "partial: failures are marked batch" test "$(jq -s '[.[] | select(.batch == true)] | length' "$R")" -eq 3
check "partial: expiry message kept" contains "$R" "completion window expired"
# only the answered line lost (a kill while recording): --resume --batch reads the output
# file, where that line is, and leaves the error file alone
rm -rf "$WORK/p1" && cp -R "$WORK/p" "$WORK/p1"
jq -c --arg c "$1" 'select(.case != $c)' "$R" >"$WORK/p1/results.jsonl"
resume_logged 3 "$WORK/p1" "$WORK/r2.jsonl" "$WORK/p1.log"
check "missing line: the output file read once" test "$(count "$WORK/p1.log" GET '/v1/files/file-out2/content$')" -eq 1
check "missing line: the error file not fetched" test "$(count "$WORK/p1.log" GET '/v1/files/file-err2/content$')" -eq 0
check "missing line: one result per case" one_result_per_case "$WORK/p1"
check "missing line: recorded as answered" \
    test "$(jq -r --arg c "$1" 'select(.case == $c) | (.error.class // "ok")' "$WORK/p1/results.jsonl")" = ok
# without --batch, --resume re-runs the failed and expired lines interactively
run_cli 0 run -q --no-history --tasks "$T" --models "$M" --resume "$WORK/p"
check "resume without --batch warns that batch lines go interactive" contains "$WORK/err" "without --batch"
check "resume without --batch: 2 chat calls" test "$(count "$WORK/r2.jsonl" POST '/chat/completions$')" -eq 2
check "resume without --batch: all ok now" \
    test "$(jq -s '[.[] | select(.error == null)] | length' "$R")" -eq 3
stop_fake_http

# ---- killed between submit and completion, then --resume polls the same batch
jq -n --argjson v "$(batch_obj validating)" --argjson ip "$(batch_obj in_progress "" "" 0 0)" '
{match: [
  {method: "POST", path_contains: "/v1/files", reply: {body: {id: "file-in3", object: "file", purpose: "batch"}}},
  {method: "POST", path_contains: "/v1/batches", reply: {body: $v}},
  {method: "GET", path_contains: "/v1/batches/batch_1", reply: {body: $ip}}
]}' >"$WORK/s3.json"
start_fake_http "$WORK/s3.json" "$WORK/r3.jsonl"
export LLMT_OPENAI_BASE_URL="$base/v1"
kill_after_submit "$WORK/k" batch_1 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/k" --batch --batch-poll 0.02
check "the batch id was recorded before the kill" contains "$WORK/k/batches.jsonl" batch_1
stop_fake_http
script_ok >"$WORK/s4.json"
start_fake_http "$WORK/s4.json" "$WORK/r4.jsonl"
export LLMT_OPENAI_BASE_URL="$base/v1"
run_cli 0 run -q --no-history --tasks "$T" --models "$M" --resume "$WORK/k" --batch --batch-poll 0.02
check "resume after a kill: no new upload" test "$(count "$WORK/r4.jsonl" POST '/v1/files$')" -eq 0
check "resume after a kill: no new batch" test "$(count "$WORK/r4.jsonl" POST '/v1/batches$')" -eq 0
check "resume after a kill: polled batch_1" test "$(count "$WORK/r4.jsonl" GET '/v1/batches/batch_1$')" -ge 1
check "resume after a kill: 3 batch results" \
    test "$(jq -s '[.[] | select(.batch == true and .error == null)] | length' "$WORK/k/results.jsonl")" -eq 3

# ---- Ctrl-C while polling: exit 130, nothing lost, the hint names --batch
stop_fake_http
start_fake_http "$WORK/s3.json" "$WORK/r6.jsonl"
export LLMT_OPENAI_BASE_URL="$base/v1"
"$LLMT_BIN" run --no-history --tasks "$T" --models "$M" --output "$WORK/i" --batch --batch-poll 0.02 >/dev/null 2>"$WORK/i.err" &
runner=$!
i=0
while ! grep -q batch_1 "$WORK/i/batches.jsonl" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
kill -INT "$runner"
wait "$runner"
check "interrupted batch run exits 130" test $? -eq 130
check "the hint says --resume ... --batch" contains "$WORK/i.err" "--resume $WORK/i --batch"
check "no result was written for the running lines" test "$(lines "$WORK/i/results.jsonl")" -eq 0
stop_fake_http
start_fake_http "$WORK/s4.json" "$WORK/r4.jsonl"
export LLMT_OPENAI_BASE_URL="$base/v1"

# ---- batches list / cancel
run_cli 0 batches list "$WORK/k"
check "list shows the batch and its state" contains "$WORK/out" "batch_1"
check "list shows the state the provider reports now" contains "$WORK/out" "in_progress"
check "list shows the counts" contains "$WORK/out" "3 requests, 1 succeeded, 0 failed"
stop_fake_http
jq -n --argjson ip "$(batch_obj in_progress "" "" 1 0)" --argjson c "$(batch_obj cancelling "" "" 1 0)" '
{match: [
  {method: "POST", path_contains: "/v1/batches/batch_1/cancel", reply: {body: $c}},
  {method: "GET", path_contains: "/v1/batches/batch_1", times: 1, reply: {body: $ip}},
  {method: "GET", path_contains: "/v1/batches/batch_1", reply: {body: $c}}
]}' >"$WORK/s5.json"
start_fake_http "$WORK/s5.json" "$WORK/r5.jsonl"
export LLMT_OPENAI_BASE_URL="$base/v1"
run_cli 0 batches cancel "$WORK/k"
check "cancel posted /batches/batch_1/cancel" test "$(count "$WORK/r5.jsonl" POST '/v1/batches/batch_1/cancel$')" -eq 1
check "cancel shows cancelling" contains "$WORK/out" "cancelling"
run_cli 2 batches list "$WORK/live"
check "list of a folder without batches says so" contains "$WORK/err" "batches.jsonl"
stop_fake_http

# ---- a cancelled batch: one line answered in the output file, two "batch_cancelled" in
# the error file. --resume --batch uploads those two again as a new batch
set -- $CASES
jq -nc --arg id "$($IDS job_ads "$1" "$M" 0)" --argjson b "$(openai_chat "$ANS")" \
    '{id:"r1",custom_id:$id,response:{status_code:200,request_id:"req_1",body:$b},error:null}' >"$WORK/out6.jsonl"
: >"$WORK/err6.jsonl"
for c in "$2" "$3"; do
    jq -nc --arg id "$($IDS job_ads "$c" "$M" 0)" \
        '{id:"r",custom_id:$id,response:null,error:{code:"batch_cancelled",message:"This request was cancelled."}}' >>"$WORK/err6.jsonl"
done
: >"$WORK/out7.jsonl"
for c in "$2" "$3"; do
    jq -nc --arg id "$($IDS job_ads "$c" "$M" 0)" --argjson b "$(openai_chat "$ANS")" \
        '{id:"r",custom_id:$id,response:{status_code:200,request_id:"req_2",body:$b},error:null}' >>"$WORK/out7.jsonl"
done
jq -n --argjson v "$(batch_obj validating)" --argjson c "$(batch_obj cancelled file-out6 file-err6 1 0)" \
      --argjson v2 "$(batch_obj validating | jq -c '.id = "batch_2"')" \
      --argjson d2 "$(batch_obj completed file-out7 "" 2 0 | jq -c '.id = "batch_2"')" \
      --arg o6 "$WORK/out6.jsonl" --arg e6 "$WORK/err6.jsonl" --arg o7 "$WORK/out7.jsonl" '
{match: [
  {method: "POST", path_contains: "/v1/files", reply: {body: {id: "file-in6", object: "file", purpose: "batch"}}},
  {method: "POST", path_contains: "/v1/batches", body_contains: "file-in6", times: 1, reply: {body: $v}},
  {method: "POST", path_contains: "/v1/batches", reply: {body: $v2}},
  {method: "GET", path_contains: "/v1/batches/batch_1", reply: {body: $c}},
  {method: "GET", path_contains: "/v1/batches/batch_2", reply: {body: $d2}},
  {method: "GET", path_contains: "/v1/files/file-out6/content", reply: {body_file: $o6}},
  {method: "GET", path_contains: "/v1/files/file-err6/content", reply: {body_file: $e6}},
  {method: "GET", path_contains: "/v1/files/file-out7/content", reply: {body_file: $o7}}
]}' >"$WORK/s6.json"
start_fake_http "$WORK/s6.json" "$WORK/r6.jsonl"
export LLMT_OPENAI_BASE_URL="$base/v1"
run_cli 3 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/c" --batch --batch-poll 0.02
check "cancelled: one result, the answered line" test "$(lines "$WORK/c/results.jsonl")" -eq 1
check "cancelled: the run says 2 jobs have no result" contains "$WORK/err" "2 job(s) have no result"
resume_logged 0 "$WORK/c" "$WORK/r6.jsonl" "$WORK/c.log"
check "cancelled resume: one new upload and batch" \
    test "$(count "$WORK/c.log" POST '/v1/files$') $(count "$WORK/c.log" POST '/v1/batches$')" = "1 1"
check "cancelled resume: the upload holds the 2 cancelled lines" \
    test "$(jq -r 'select(.method == "POST" and (.path | test("/v1/files$"))) | .body' "$WORK/c.log" | grep -c '^{"custom_id"')" -eq 2
check "cancelled resume: one batch result per case, all answered" one_result_per_case "$WORK/c"
check "cancelled resume: no errors left" test "$(jq -s '[.[] | select(.error != null)] | length' "$WORK/c/results.jsonl")" -eq 0
stop_fake_http
finish
