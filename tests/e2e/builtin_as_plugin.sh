#!/bin/sh
# Built-in providers know only the provider contract: ollama's, openai's and openrouter's
# own sources, built as plugins with include/ alone on the include path and without
# libllmtester (tests/CMakeLists.txt, builtin_plugin_*), load through the plugin loader in
# place of the built-in ("override_builtin") and run a task against the fake HTTP server
# sending byte for byte the request body the built-in sends; openrouter's plugin also
# runs it through its Batch API (batch.c), submitting what the built-in submits.
set -u
: "${LLMT_BUILD_DIR:?}" "${FAKE_HTTP_SERVER:?}"
. "$(dirname "$0")/lib/common.sh"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$WORK"' EXIT INT TERM
T=$WORK
# that DESCRIPTION EXPRESSION: passes when the shell expression is true
that() { if eval "$2"; then ok; else bad "$1"; fi; }

BUILT="$LLMT_BUILD_DIR/test-plugins/builtin"
KEYS="OPENAI_API_KEY=sk-test-plugin-1234 OPENROUTER_API_KEY=sk-or-test-plugin-1234"

mkdir -p "$T/tasks/people/tests/sources" "$T/tasks/people/tests/expected"
printf '%s\n' '{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"],"additionalProperties":false}' >"$T/tasks/people/schema.json"
printf '%s\n' '{"prompt":"Extract the person as JSON."}' >"$T/tasks/people/task.json"
printf 'Alice is thirty years old.\n' >"$T/tasks/people/tests/sources/alice.txt"
printf '%s\n' '{"name":"Alice","age":30}' >"$T/tasks/people/tests/expected/alice.json"

cat >"$T/script.json" <<'JSON'
{"match": [
 {"method": "POST", "path_contains": "/api/chat",
  "reply": {"status": 200, "body": {"model": "llama3.1:8b", "done": true, "done_reason": "stop",
    "message": {"role": "assistant", "content": "{\"name\": \"Alice\", \"age\": 30}"},
    "prompt_eval_count": 40, "eval_count": 8}}},
 {"method": "POST", "path_contains": "/chat/completions",
  "reply": {"status": 200, "body": {"id": "chatcmpl-1", "model": "gpt-4.1-mini",
    "choices": [{"index": 0, "finish_reason": "stop",
                 "message": {"role": "assistant", "content": "{\"name\": \"Alice\", \"age\": 30}"}}],
    "usage": {"prompt_tokens": 42, "completion_tokens": 9, "total_tokens": 51}}}}]}
JSON
start_fake_http "$T/script.json"

# plugin_loads NAME: the plugin of NAME was built, links nothing of the library (every
# llmt_ function comes through the host table), and loads in place of the built-in
plugin_loads() {
    name=$1 so="$BUILT/$1/$1.so"   # globals: `that` evaluates its test in its own frame
    that "$name: the plugin was built" '[ -f "$so" ]'
    [ -f "$so" ] || return 1
    that "$name: the module needs no llmt_ symbol" \
        '! nm -D --undefined-only "$so" | grep -q " llmt_"'
    builtin_plugin "$name" "$T/plugins"
    LLMT_PLUGIN_PATH="$T/plugins" "$LLMT_BIN" providers list --json >"$T/$name.list.json" 2>"$T/$name.list.err"
    that "$name: loaded from the plugin" \
        '[ "$(jq -r ".[] | select(.name == \"$name\") | .origin" "$T/$name.list.json")" = "$T/plugins/$name/$name.so" ]'
}

# name model base-url-variable base-url
for spec in "ollama llama3.1:8b LLMT_OLLAMA_BASE_URL $base" \
            "openai gpt-4.1-mini LLMT_OPENAI_BASE_URL $base/v1" \
            "openrouter openai/gpt-4.1-mini LLMT_OPENROUTER_BASE_URL $base/api/v1"; do
    set -- $spec
    name=$1 model=$2 var=$3 url=$4
    plugin_loads "$name" || continue

    : >"$T/requests.jsonl"
    env "$var=$url" $KEYS LLMT_PLUGIN_PATH="$T/plugins" \
        "$LLMT_BIN" run --tasks "$T/tasks" --models "$name:$model" --no-history \
        --output "$T/out-plugin-$name" >"$T/$name.run.out" 2>"$T/$name.run.err"
    that "$name: run through the plugin exits 0" '[ $? -eq 0 ]'
    that "$name: the answer is 100% accurate" \
        'grep -Eq "\"accuracy\": *100" "$T/out-plugin-$name/results.json"'
    jq -c .body "$T/requests.jsonl" >"$T/$name.plugin.body"

    : >"$T/requests.jsonl"
    env "$var=$url" $KEYS \
        "$LLMT_BIN" run --tasks "$T/tasks" --models "$name:$model" --no-history \
        --output "$T/out-builtin-$name" >"$T/$name.brun.out" 2>"$T/$name.brun.err"
    that "$name: run through the built-in exits 0" '[ $? -eq 0 ]'
    jq -c .body "$T/requests.jsonl" >"$T/$name.builtin.body"
    that "$name: one request each" \
        '[ "$(wc -l <"$T/$name.plugin.body")" -eq 1 ] && [ "$(wc -l <"$T/$name.builtin.body")" -eq 1 ]'
    that "$name: the plugin sends the built-in's body, byte for byte" \
        'cmp -s "$T/$name.plugin.body" "$T/$name.builtin.body"'
done

# openrouter's batch ops through the plugin: one POST /batches as the built-in's, the
# inline result read from the poll reply
stop_fake_http
M=openrouter:openai/gpt-4.1-mini
cid=$(python3 "$LLMT_SOURCE_DIR/tests/e2e/lib/batch_ids.py" people alice "$M" 0)
jq -n --arg cid "$cid" '
  {id: "chatcmpl-1", model: "openai/gpt-4.1-mini",
   choices: [{index: 0, finish_reason: "stop",
              message: {role: "assistant", content: "{\"name\": \"Alice\", \"age\": 30}"}}],
   usage: {prompt_tokens: 42, completion_tokens: 9, total_tokens: 51}} as $chat
  | {id: "batch_1", object: "batch", endpoint: "/v1/chat/completions", error: null,
     request_counts: {total: 1, completed: 1, failed: 0}} as $b
  | {match: [
      {method: "POST", path_contains: "/api/v1/batches", reply: {status: 202, body: ($b + {status: "validating", results: null})}},
      {method: "GET", path_contains: "/api/v1/batches/batch_1",
       reply: {body: ($b + {status: "completed",
                            results: [{id: "r1", custom_id: $cid, error: null,
                                       response: {status_code: 200, request_id: "q1", body: $chat}}]})}}]}' \
    >"$T/script-batch.json"
start_fake_http "$T/script-batch.json"
for how in plugin builtin; do
    : >"$T/requests.jsonl"
    plugins=""
    [ "$how" = plugin ] && plugins="$T/plugins"
    env LLMT_OPENROUTER_BASE_URL="$base/api/v1" $KEYS LLMT_PLUGIN_PATH="$plugins" \
        "$LLMT_BIN" run --tasks "$T/tasks" --models "$M" --no-history --batch --batch-poll 0.02 \
        --output "$T/out-batch-$how" >"$T/batch-$how.out" 2>"$T/batch-$how.err"
    that "openrouter $how: the batch run exits 0" '[ $? -eq 0 ]'
    that "openrouter $how: the batch answer is 100% accurate and marked batch" \
        '[ "$(jq "[.results[] | select(.batch == true and .error == null)] | length" "$T/out-batch-$how/results.json")" -eq 1 ] &&
         grep -Eq "\"accuracy\": *100" "$T/out-batch-$how/results.json"'
    jq -c 'select(.method == "POST") | .body' "$T/requests.jsonl" >"$T/batch-$how.body"
done
that "openrouter: one batch submitted each way" \
    '[ "$(wc -l <"$T/batch-plugin.body")" -eq 1 ] && [ "$(wc -l <"$T/batch-builtin.body")" -eq 1 ]'
that "openrouter: the plugin submits the built-in's batch, byte for byte" \
    'cmp -s "$T/batch-plugin.body" "$T/batch-builtin.body"'
# the batch providers with their own batch code (Anthropic's and Gemini's, inline and
# uploaded-file batches) build and load the same way: include/ alone, no llmt_ symbol
# (tests/e2e/batch_gemini_file.sh runs a file batch through the gemini one)
for name in anthropic gemini; do
    plugin_loads "$name"
done

# an error classified by the plugin's own rule: a 400 "try pulling it first" is not_found
stop_fake_http
cat >"$T/script404.json" <<'JSON'
{"default": {"status": 400, "body": {"error": "model \"nope\" not found, try pulling it first"}}}
JSON
start_fake_http "$T/script404.json"
LLMT_OLLAMA_BASE_URL="$base" LLMT_PLUGIN_PATH="$T/plugins" \
    "$LLMT_BIN" run --tasks "$T/tasks" --models ollama:llama3.1:8b --no-history \
    --output "$T/out404" >/dev/null 2>&1
that "ollama plugin: the error is classified not_found" \
    'grep -q "\"not_found\"" "$T/out404/results.jsonl"'

finish
