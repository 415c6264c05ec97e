# End to end: run --batch with --record and --replay (OpenAI's Batch API against
# fake-http-server). Recording keeps each batch job's line and its result as the
# interactive exchanges are kept ("batch": true, no key, no batch id); replaying with
# --batch answers those jobs from the cassette with no server at all (no upload, no
# batch, no poll) and reproduces the recorded results: batch pricing, "batch": true,
# scores. One result line fails (a 400 in the output file) and replays so; the
# cassette of a batch run does not replay without --batch, and says so.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/cassette.sh"
. "$(dirname "$0")/lib/batch.sh"
M=openai:gpt-4.1-mini
KEY="sk-e2e-VERYSECRET-batch-cassette"

batch_obj() { # STATUS [OUTPUT_FILE COMPLETED]
    jq -nc --arg s "$1" --arg o "${2:-}" --argjson c "${3:-0}" \
        '{id:"batch_1",object:"batch",endpoint:"/v1/chat/completions",errors:null,input_file_id:"file-in1",
          completion_window:"24h",status:$s,output_file_id:(if $o == "" then null else $o end),
          error_file_id:null,created_at:1,request_counts:{total:3,completed:$c,failed:0},metadata:{}}'
}
NURSE=$(cat "$T/job_ads/tests/expected/nurse_part_time.json")
: >"$WORK/out.jsonl"
for c in $CASES; do
    id=$($IDS job_ads "$c" "$M" 0)
    if [ "$c" = ml_engineer_remote ]; then
        jq -nc --arg id "$id" '{id:("batch_req_" + $id),custom_id:$id,response:{status_code:400,request_id:"req_x",
            body:{error:{message:"Invalid schema for response_format",type:"invalid_request_error"}}},error:null}'
    else
        a='{"title":"x"}'
        [ "$c" = nurse_part_time ] && a=$NURSE
        jq -nc --arg id "$id" --argjson b "$(openai_chat "$a")" \
            '{id:("batch_req_" + $id),custom_id:$id,response:{status_code:200,request_id:"req_1",body:$b},error:null}'
    fi >>"$WORK/out.jsonl"
done
jq -n --argjson v "$(batch_obj validating)" --argjson done "$(batch_obj completed file-out1 3)" \
      --arg out "$WORK/out.jsonl" '
{match: [
  {method: "POST", path_contains: "/v1/files", reply: {body: {id: "file-in1", object: "file", bytes: 10, created_at: 1, filename: "llm-tester-batch.jsonl", purpose: "batch"}}},
  {method: "POST", path_contains: "/v1/batches", reply: {body: $v}},
  {method: "GET", path_contains: "/v1/batches/batch_1", reply: {body: $done}},
  {method: "GET", path_contains: "/v1/files/file-out1/content", reply: {headers: {"Content-Type": "application/octet-stream"}, body_file: $out}}
]}' >"$WORK/s.json"
start_fake_http "$WORK/s.json" "$WORK/r.jsonl"
OPENAI_API_KEY="$KEY" LLMT_OPENAI_BASE_URL="$base/v1" run_cli 3 run --no-history --tasks "$T" \
    --models "$M" --batch --batch-poll 0.02 --record "$WORK/cas" --output "$WORK/b1"
stop_fake_http
R1="$WORK/b1/results.jsonl"
check "recorded: through the batch API (one batch)" test "$(count "$WORK/r.jsonl" POST '/v1/batches$')" -eq 1
check "recorded: every result says batch: true" test "$(jq -s '[.[] | select(.batch == true)] | length' "$R1")" -eq 3
C="$WORK/cas/job_ads.jsonl"
check "cassette: one exchange per batch job, marked batch" test \
    "$(jq -s '[.[] | select(.batch == true and .format == 2)] | length' "$C")" -eq 3
check "cassette: the request is the job's batch line" test \
    "$(jq -r '.request | "\(.method) \(.url) \(.body.model)"' "$C" | sort -u)" = "POST /v1/chat/completions gpt-4.1-mini"
check "cassette: the failed line's 400 kept" test \
    "$(jq -c 'select(.case == "ml_engineer_remote") | .status' "$C")" = 400
check "cassette: no key, no batch id" test \
    "$(grep -c -e "$KEY" -e batch_1 -e file-out1 "$C")" -eq 0

# replay with --batch and no server (nor key): the same results, batch pricing included
run_cli 3 run --no-history --tasks "$T" --models "$M" --batch --replay "$WORK/cas" --output "$WORK/b2"
R2="$WORK/b2/results.jsonl"
check "replayed: results equal the recorded ones" same_as "$R1" "$R2"
check "replayed: batch: true and replayed" test \
    "$(jq -s '[.[] | select(.batch == true and .replayed == true)] | length' "$R2")" -eq 3
check "replayed: the batch price" test \
    "$(jq -s '[.[].usage.cost_usd] | add' "$R2")" = "$(jq -s '[.[].usage.cost_usd] | add' "$R1")"
check "replayed: the 400 classified as when recorded" test \
    "$(jq -r 'select(.case == "ml_engineer_remote") | .error.class' "$R2")" = \
    "$(jq -r 'select(.case == "ml_engineer_remote") | .error.class' "$R1")"
check "replayed: no batches.jsonl (no batch API asked)" test ! -e "$WORK/b2/batches.jsonl"

# without --batch the cassette's requests are batch lines: said, not compared
run_cli 3 run --no-history --tasks "$T" --models "$M" --replay "$WORK/cas" --output "$WORK/b3"
check "without --batch: each case fails not_recorded" test \
    "$(jq -s '[.[] | select(.error.class == "not_recorded")] | length' "$WORK/b3/results.jsonl")" -eq 3
check "without --batch: how to replay it is said" contains "$WORK/b3/results.jsonl" \
    "was recorded through a batch API: replay it with --batch"
finish
