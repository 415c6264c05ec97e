# End to end: `run --batch` with Gemini's Batch API through an uploaded input file, against
# fake-http-server speaking the Files API's resumable upload (POST /upload/v1beta/files
# with X-Goog-Upload-Protocol: resumable and Command: start, answered with an
# x-goog-upload-url; the file POSTed there with Command: "upload, finalize"), the create
# with input_config.file_name, polls through PENDING and RUNNING to SUCCEEDED, and the
# results file read from /download/v1beta/{responsesFile}:download?alt=media (over the
# 8 MB interactive reply cap). The project sets "batch_inline_max_bytes": 0 so three small
# requests go as a file. Also: per-line error objects, an expired batch with part of its
# results, resume after a kill between submit and completion, resume after a kill while
# the results were being recorded (one result per case, the complete batch not fetched
# again).
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/batch.sh"
. "$(dirname "$0")/lib/gemini_batch.sh"
mkdir -p "$WORK/proj/providers"
printf '{"config_version": 2}\n' >"$WORK/proj/llm-tester.json"
printf '{"config_version": 2, "options": {"batch_inline_max_bytes": 0}}\n' >"$WORK/proj/providers/gemini.json"
cd "$WORK/proj" || exit 1
# the session URL names Google's host: llm-tester must send the file to its base URL's host
UPLOAD_URL="https://generativelanguage.googleapis.com/upload/v1beta/files?upload_id=UP1&upload_protocol=resumable"
op() { # STATE [RESPONSES_FILE]
    jq -nc --arg s "$1" --arg f "${2:-}" \
        '{name:"batches/b1",metadata:{"@type":"type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
          model:"models/gemini-2.5-flash",displayName:"x",state:$s,name:"batches/b1",
          inputConfig:{fileName:"files/in1"},batchStats:{requestCount:"3",pendingRequestCount:"3"}}}
         + (if $f == "" then {} else {done:true,response:{"@type":"type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput",responsesFile:$f}} end)'
}
ok_line() { jq -nc --arg k "$1" --argjson g "$(gen "$ANS")" '{key:$k,response:$g}'; }
# the whole results file: the three answers, then 9 MB of lines of other batches' keys
# (ignored) so that the file is larger than an interactive reply may be
{ ok_line "$id1"; ok_line "$id2"; ok_line "$id3"; } >"$WORK/res_ok.jsonl"
python3 -c '
import json, sys
line = json.dumps({"key": "other", "response": {"candidates": [{"content": {"parts": [{"text": "y" * 200}]}}]}})
sys.stdout.write((line + "\n") * (9 * 1024 * 1024 // len(line) + 1))' >>"$WORK/res_ok.jsonl"
{
    ok_line "$id1"
    jq -nc --arg k "$id2" '{key:$k,error:{code:400,message:"Invalid JSON payload received.",status:"INVALID_ARGUMENT"}}'
    jq -nc --arg k "$id3" '{key:$k,error:{code:429,message:"Resource has been exhausted (e.g. check quota).",status:"RESOURCE_EXHAUSTED"}}'
} >"$WORK/res_mixed.jsonl"
ok_line "$id1" >"$WORK/res_part.jsonl"

script() { # FINAL_OPERATION RESULTS_FILE
    jq -n --argjson p "$(op BATCH_STATE_PENDING)" --argjson r "$(op BATCH_STATE_RUNNING)" --argjson done "$1" \
          --arg res "$2" --arg url "$UPLOAD_URL" --argjson g "$(gen "$ANS")" '
    {match: [
      {method: "POST", path_contains: "/upload/v1beta/files?upload_id=UP1",
       reply: {headers: {"X-Goog-Upload-Status": "final"},
               body: {file: {name: "files/in1", displayName: "x", mimeType: "application/jsonl", sizeBytes: "10", state: "ACTIVE"}}}},
      {method: "POST", path_contains: "/upload/v1beta/files",
       reply: {headers: {"X-Goog-Upload-Status": "active", "X-Goog-Upload-URL": $url, "X-Goog-Upload-Chunk-Granularity": "8388608"}, body: ""}},
      {method: "POST", path_contains: ":batchGenerateContent", reply: {body: $p}},
      {method: "POST", path_contains: "/batches/b1:cancel", reply: {body: {}}},
      {method: "GET", path_contains: "/v1beta/batches/b1", times: 1, reply: {body: $p}},
      {method: "GET", path_contains: "/v1beta/batches/b1", times: 1, reply: {body: $r}},
      {method: "GET", path_contains: "/v1beta/batches/b1", reply: {body: $done}},
      {method: "GET", path_contains: "/download/v1beta/files/out1:download?alt=media",
       reply: {headers: {"Content-Type": "application/octet-stream"}, body_file: $res}},
      {method: "POST", path_contains: ":generateContent", reply: {body: $g}}
    ]}'
}
# hdr LOG METHOD PATH_REGEX HEADER: that header of the matching requests (lower-case names)
hdr() { jq -r --arg m "$2" --arg p "$3" --arg h "$4" 'select(.method == $m and (.path | test($p))) | .headers[$h] // "-"' "$1"; }
body_of() { jq -r --arg m "$2" --arg p "$3" 'select(.method == $m and (.path | test($p))) | .body' "$1"; }

script "$(op BATCH_STATE_SUCCEEDED files/out1)" "$WORK/res_ok.jsonl" >"$WORK/s1.json"
start_fake_http "$WORK/s1.json" "$WORK/r1.jsonl"
export LLMT_GEMINI_BASE_URL="$base/v1beta"
run_cli 0 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/live"
run_cli 0 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/b" --batch --batch-poll 0.02
L="$WORK/r1.jsonl"
START='^/upload/v1beta/files$'
UP='^/upload/v1beta/files[?]upload_id=UP1&upload_protocol=resumable$'
check "one upload start" test "$(count "$L" POST "$START")" -eq 1
check "start: X-Goog-Upload-Protocol resumable" test "$(hdr "$L" POST "$START" x-goog-upload-protocol)" = resumable
check "start: X-Goog-Upload-Command start" test "$(hdr "$L" POST "$START" x-goog-upload-command)" = start
check "start: the file's type is JSONL" test "$(hdr "$L" POST "$START" x-goog-upload-header-content-type)" = application/jsonl
check "start: the key header" test "$(hdr "$L" POST "$START" x-goog-api-key)" = "$GEMINI_API_KEY"
check "start: a display name" test "$(body_of "$L" POST "$START" | jq -r '.file.display_name | startswith("llm-tester ")')" = true
check "the file went to the session URL on the configured host" test "$(count "$L" POST "$UP")" -eq 1
check "upload: Command upload, finalize" test "$(hdr "$L" POST "$UP" x-goog-upload-command)" = "upload, finalize"
check "upload: Offset 0" test "$(hdr "$L" POST "$UP" x-goog-upload-offset)" = 0
check "upload: the key is not sent with the file" test "$(hdr "$L" POST "$UP" x-goog-api-key)" = "-"
jq -j --arg p "$UP" 'select(.method == "POST" and (.path | test($p))) | .body' "$L" >"$WORK/file.jsonl"
check "start: X-Goog-Upload-Header-Content-Length is the file's size" \
    test "$(hdr "$L" POST "$START" x-goog-upload-header-content-length)" -eq "$(wc -c <"$WORK/file.jsonl" | tr -d ' ')"
check "the file holds 3 lines {key, request}" test "$(jq -c 'keys' "$WORK/file.jsonl" | sort -u)" = '["key","request"]'
check "the keys are the custom_ids" test "$(jq -r '.key' "$WORK/file.jsonl" | sort | tr '\n' ' ')" = "$(printf '%s\n' "$id1" "$id2" "$id3" | sort | tr '\n' ' ')"
body_of "$L" POST ':generateContent$' | jq -cS . | sort >"$WORK/live_bodies"
jq -cS '.request' "$WORK/file.jsonl" | sort >"$WORK/batch_bodies"
check "the file's requests equal the interactive bodies" cmp -s "$WORK/live_bodies" "$WORK/batch_bodies"
check "one create, naming the uploaded file" \
    test "$(body_of "$L" POST ':batchGenerateContent$' | jq -r '.batch.input_config.file_name')" = files/in1
check "the create carries no inline requests" \
    test "$(body_of "$L" POST ':batchGenerateContent$' | jq '.batch.input_config.requests')" = null
check "polled through PENDING and RUNNING" test "$(count "$L" GET '^/v1beta/batches/b1$')" -eq 3
check "the results file was read once" test "$(count "$L" GET '^/download/v1beta/files/out1:download[?]alt=media$')" -eq 1
check "the download carries the key" test "$(hdr "$L" GET '^/download/' x-goog-api-key)" = "$GEMINI_API_KEY"
check "3 batch results without errors" \
    test "$(jq '[.results[] | select(.batch == true and .error == null)] | length' "$WORK/b/results.json")" -eq 3
check "batch costs half the interactive run" half "$(sum_cost "$WORK/live")" "$(sum_cost "$WORK/b")"
check "batches.jsonl names the batch" test "$(jq -r '.batch_id' "$WORK/b/batches.jsonl")" = batches/b1
check "the key is in no output file" sh -c '! grep -rq "$1" "$2"' _ "$GEMINI_API_KEY" "$WORK/b"

# ---- killed while recording: the resume reads the results file once, records what is missing
resume_torn "$WORK/b" "$WORK/h" "$L"
check "torn resume: nothing uploaded or created" \
    test "$(jq -s '[.[] | select(.method == "POST")] | length' "$WORK/torn.jsonl")" -eq 0
check "torn resume: the results file read once" test "$(count "$WORK/torn.jsonl" GET '^/download/')" -eq 1
stop_fake_http

# ---- per-line errors: a 400 INVALID_ARGUMENT and a 429 RESOURCE_EXHAUSTED
script "$(op BATCH_STATE_SUCCEEDED files/out1)" "$WORK/res_mixed.jsonl" >"$WORK/s2.json"
start_fake_http "$WORK/s2.json" "$WORK/r2.jsonl"
export LLMT_GEMINI_BASE_URL="$base/v1beta"
run_cli 3 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/p" --batch --batch-poll 0.02
check "the answered line is ok" test "$(jq -r --arg c "$1" 'select(.case == $c) | .error' "$WORK/p/results.jsonl")" = null
check "INVALID_ARGUMENT is bad_request" \
    test "$(jq -r --arg c "$2" 'select(.case == $c) | .error.class' "$WORK/p/results.jsonl")" = bad_request
check "RESOURCE_EXHAUSTED is a rate_limit or quota class" \
    sh -c 'c=$(jq -r --arg c "$1" "select(.case == \$c) | .error.class" "$2"); [ "$c" = rate_limit ] || [ "$c" = quota ]' _ "$3" "$WORK/p/results.jsonl"
check "failed lines say batch: true" test "$(jq -s '[.[] | select(.batch == true)] | length' "$WORK/p/results.jsonl")" -eq 3
# --resume without --batch sends the failed lines again interactively
run_cli 0 run -q --no-history --tasks "$T" --models "$M" --resume "$WORK/p"
check "resume without --batch: 2 generateContent calls" test "$(count "$WORK/r2.jsonl" POST ':generateContent$')" -eq 2
check "resume without --batch: one result per case" one_result_per_case "$WORK/p"
stop_fake_http

# ---- an expired batch with one line answered: the others are timeout
script "$(op BATCH_STATE_EXPIRED files/out1)" "$WORK/res_part.jsonl" >"$WORK/s3.json"
start_fake_http "$WORK/s3.json" "$WORK/r3.jsonl"
export LLMT_GEMINI_BASE_URL="$base/v1beta"
run_cli 3 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/x" --batch --batch-poll 0.02
check "expired: the answered line is ok" test "$(jq -r --arg c "$1" 'select(.case == $c) | .error' "$WORK/x/results.jsonl")" = null
check "expired: the 2 others are timeout" \
    test "$(jq -s '[.[] | select(.error.class == "timeout" and .batch == true)] | length' "$WORK/x/results.jsonl")" -eq 2
stop_fake_http

# ---- killed between submit and completion; resume polls the same batch
jq -n --argjson p "$(op BATCH_STATE_PENDING)" --arg url "$UPLOAD_URL" '
{match: [
  {method: "POST", path_contains: "/upload/v1beta/files?upload_id=UP1", reply: {headers: {"X-Goog-Upload-Status": "final"}, body: {file: {name: "files/in1"}}}},
  {method: "POST", path_contains: "/upload/v1beta/files", reply: {headers: {"X-Goog-Upload-URL": $url}, body: ""}},
  {method: "POST", path_contains: ":batchGenerateContent", reply: {body: $p}},
  {method: "GET", path_contains: "/v1beta/batches/b1", reply: {body: $p}}
]}' >"$WORK/s4.json"
start_fake_http "$WORK/s4.json" "$WORK/r4.jsonl"
export LLMT_GEMINI_BASE_URL="$base/v1beta"
kill_after_submit "$WORK/k" batches/b1 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/k" --batch --batch-poll 0.02
check "the batch name was recorded before the kill" contains "$WORK/k/batches.jsonl" batches/b1
stop_fake_http
script "$(op BATCH_STATE_SUCCEEDED files/out1)" "$WORK/res_ok.jsonl" >"$WORK/s5.json"
start_fake_http "$WORK/s5.json" "$WORK/r5.jsonl"
export LLMT_GEMINI_BASE_URL="$base/v1beta"
run_cli 0 run -q --no-history --tasks "$T" --models "$M" --resume "$WORK/k" --batch --batch-poll 0.02
check "resume after a kill: no upload" test "$(count "$WORK/r5.jsonl" POST '^/upload/')" -eq 0
check "resume after a kill: no new batch" test "$(count "$WORK/r5.jsonl" POST ':batchGenerateContent$')" -eq 0
check "resume after a kill: results read once" test "$(count "$WORK/r5.jsonl" GET '^/download/')" -eq 1
check "resume after a kill: one batch result per case" one_result_per_case "$WORK/k"
stop_fake_http

# ---- the gemini provider's own sources built as a plugin (include/ alone, reaching the
# library only through the host table; tests/CMakeLists.txt builtin_plugin_gemini) in
# place of the built-in: the same upload, file and create, byte for byte
check "the gemini plugin was built" builtin_plugin gemini "$WORK/plugins"
if [ -f "$WORK/plugins/gemini/gemini.so" ]; then
    check "the plugin replaces the built-in" test "$(LLMT_PLUGIN_PATH="$WORK/plugins" "$LLMT_BIN" \
        providers list --json | jq -r '.[] | select(.name == "gemini") | .origin')" = "$WORK/plugins/gemini/gemini.so"
    script "$(op BATCH_STATE_SUCCEEDED files/out1)" "$WORK/res_ok.jsonl" >"$WORK/s6.json"
    start_fake_http "$WORK/s6.json" "$WORK/r6.jsonl"
    export LLMT_GEMINI_BASE_URL="$base/v1beta"
    export LLMT_PLUGIN_PATH="$WORK/plugins"
    run_cli 0 run -q --no-history --tasks "$T" --models "$M" --output "$WORK/pl" --batch --batch-poll 0.02
    unset LLMT_PLUGIN_PATH
    check "plugin: 3 batch results without errors" \
        test "$(jq '[.results[] | select(.batch == true and .error == null)] | length' "$WORK/pl/results.json")" -eq 3
    for m in "POST $START" "POST $UP" "POST :batchGenerateContent\$"; do
        set -- $m
        check "plugin: the $2 request's body is the built-in's (but the run's label)" \
            test "$(body_of "$WORK/r6.jsonl" "$1" "$2" | sed 's/llm-tester [^"]*/LABEL/')" = \
                 "$(body_of "$L" "$1" "$2" | sed 's/llm-tester [^"]*/LABEL/')"
        check "plugin: the $2 request's headers are the built-in's" \
            test "$(jq -c --arg m "$1" --arg p "$2" 'select(.method == $m and (.path | test($p))) | .headers | del(.host, .["user-agent"])' "$WORK/r6.jsonl")" = \
                 "$(jq -c --arg m "$1" --arg p "$2" 'select(.method == $m and (.path | test($p))) | .headers | del(.host, .["user-agent"])' "$L")"
    done
    stop_fake_http
fi
finish
