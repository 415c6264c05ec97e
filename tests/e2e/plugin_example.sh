#!/bin/sh
# plugins/example (a Chat Completions-compatible HTTP plugin) is found on LLMT_PLUGIN_PATH,
# listed with its origin, and runs a task against the fake HTTP server. Broken plugins
# are refused with a reason and never crash the tool.
set -u
: "${LLMT_BIN:?}" "${LLMT_BUILD_DIR:?}" "${FAKE_HTTP_SERVER:?}"
. "$(dirname "$0")/lib/common.sh"
T=$WORK

PLUGINS="$LLMT_BUILD_DIR/plugins"
[ -f "$PLUGINS/example/example.so" ] || { echo "FAIL: $PLUGINS/example/example.so not built" >&2; exit 1; }

# 1. listed with its origin, kind, ABI and model count
LLMT_PLUGIN_PATH="$PLUGINS" "$LLMT_BIN" providers list >"$T/list.out" 2>"$T/list.err"
check_sh "providers list exits 0" '[ $? -eq 0 ]'
check_sh "example listed with origin" 'grep -E "^example +yes +http +1\.[0-9]+ +1 .*plugins/example/example\.so" "$T/list.out" >/dev/null'
LLMT_PLUGIN_PATH="$PLUGINS" "$LLMT_BIN" providers list --json >"$T/list.json"
check_sh "json origin is the .so" 'grep -q "\"origin\": \".*example/example.so\"" "$T/list.json"'

# 2. a task through the plugin, against the fake server
mkdir -p "$T/tasks/people/tests/sources" "$T/tasks/people/tests/expected"
printf '%s\n' '{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]}' >"$T/tasks/people/schema.json"
printf '%s\n' '{"prompt":"Extract the person as JSON."}' >"$T/tasks/people/task.json"
printf 'Alice is thirty years old.\n' >"$T/tasks/people/tests/sources/alice.txt"
printf '%s\n' '{"name":"Alice","age":30}' >"$T/tasks/people/tests/expected/alice.json"
cat >"$T/script.json" <<'JSON'
{"match": [{"method": "POST", "path_contains": "/v1/chat/completions",
  "reply": {"status": 200, "body": {"id": "chatcmpl-1", "model": "example-model",
    "choices": [{"index": 0, "finish_reason": "stop",
                 "message": {"role": "assistant", "content": "{\"name\": \"Alice\", \"age\": 30}"}}],
    "usage": {"prompt_tokens": 42, "completion_tokens": 9, "total_tokens": 51}}}}]}
JSON
start_fake_http "$T/script.json" "$T/req.jsonl"
LLMT_PLUGIN_PATH="$PLUGINS" LLMT_EXAMPLE_BASE_URL="$base/v1" \
  "$LLMT_BIN" run --tasks "$T/tasks" --models example:example-model --output "$T/out" >"$T/run.out" 2>"$T/run.err"
check_sh "run through the plugin exits 0" '[ $? -eq 0 ]'
check_sh "request reached the fake server" 'grep -q "\"path\":\"/v1/chat/completions\"" "$T/req.jsonl"'
check_sh "request names the model" 'grep -q "example-model" "$T/req.jsonl"'
check_sh "result is 100% accurate" 'grep -Eq "\"accuracy\": *100" "$T/out/results.json"'
check_sh "usage from the reply is recorded" 'grep -Eq "\"input_tokens\": *42" "$T/out/results.json"'
check_sh "result names the plugin provider" 'grep -Eq "\"provider\": *\"example\"" "$T/out/results.json"'

# 2b. at -j 64 (two event loops on 2+ CPUs) the plugin's functions are called from
# more than one thread, one at a time: every call still answered once, and correctly
n_before=$(wc -l <"$T/req.jsonl")
LLMT_PLUGIN_PATH="$PLUGINS" LLMT_EXAMPLE_BASE_URL="$base/v1" \
  "$LLMT_BIN" run --tasks "$T/tasks" --models example:example-model --repeat 200 --concurrency 64 \
  --provider-limit example:concurrency=0,rpm=0,tpm=0 --no-history --output "$T/outj" >"$T/runj.out" 2>"$T/runj.err"
check_sh "-j 64 through the plugin exits 0" '[ $? -eq 0 ]'
check_sh "-j 64: 200 results, all 100% accurate" \
  '[ "$(grep -Ec "\"accuracy\": *100(\.0+)?[,}]" "$T/outj/results.jsonl")" -eq 200 ]'
check_sh "-j 64: 200 requests sent" '[ $(($(wc -l <"$T/req.jsonl") - n_before)) -eq 200 ]'

# 3. an HTTP error is classified by the plugin (429 insufficient_quota -> quota)
stop_fake_http
cat >"$T/script429.json" <<'JSON'
{"default": {"status": 429, "body": {"error": {"message": "You exceeded your quota", "code": "insufficient_quota"}}}}
JSON
start_fake_http "$T/script429.json"
LLMT_PLUGIN_PATH="$PLUGINS" LLMT_EXAMPLE_BASE_URL="$base/v1" \
  "$LLMT_BIN" run --tasks "$T/tasks" --models example:example-model --output "$T/out2" >"$T/run2.out" 2>"$T/run2.err"
check_sh "quota error recorded as class quota" 'grep -q "\"quota\"" "$T/out2/results.json"'

# 4. broken plugins are refused with a reason, and the good one still loads
mkdir -p "$T/bad/notelf" "$T/bad/example" "$T/bad/nosofile" "$T/bad/wrongname"
printf 'not an ELF file\n' >"$T/bad/notelf/notelf.so"
cp "$PLUGINS/example/config.json" "$T/bad/notelf/config.json"
cp "$PLUGINS/example/example.so" "$T/bad/example/example.so"
printf '{"config_version": 2, "name": "example", "llm_models": "nope"}\n' >"$T/bad/example/config.json"
cp "$PLUGINS/example/config.json" "$T/bad/nosofile/config.json"
cp "$PLUGINS/example/example.so" "$T/bad/wrongname/wrongname.so"
sed 's/"name": "example"/"name": "wrongname"/' "$PLUGINS/example/config.json" >"$T/bad/wrongname/config.json"
LLMT_PLUGIN_PATH="$T/bad:$PLUGINS" "$LLMT_BIN" providers list -v >"$T/bad.out" 2>"$T/bad.err"
check_sh "bad plugins do not fail the command" '[ $? -eq 0 ]'
check_sh "good plugin still loads after bad ones" 'grep -qE "^example +yes" "$T/bad.out"'
check_sh "refused section lists 4" '[ "$(grep -c "reason:" "$T/bad.out")" -eq 4 ]'
check_sh "not-ELF refusal says cannot be loaded" 'grep -q "notelf.so: cannot be loaded" "$T/bad.out"'
check_sh "bad config refusal names file and path" 'grep -q "bad/example/config.json: /env_key: required field missing" "$T/bad.out"'
check_sh "missing .so refusal" 'grep -q "no nosofile.so (build the plugin first)" "$T/bad.out"'
check_sh "name mismatch refusal" "grep -q \"calls itself 'example' but its folder is 'wrongname'\" \"\$T/bad.out\""
check_sh "refusals are logged on stderr" 'grep -q "warning: refused plugin" "$T/bad.err"'
LLMT_PLUGIN_PATH="$T/bad:$PLUGINS" "$LLMT_BIN" providers list --json >"$T/bad.json" 2>/dev/null
check_sh "json lists the 4 refusals with reasons" \
  '[ "$(jq "[.[] | select(.status == \"refused\" and (.reason | length) > 0)] | length" "$T/bad.json")" -eq 4 ]'
check_sh "json lists the good plugin as loaded" \
  '[ "$(jq -r ".[] | select(.name == \"example\" and .status == \"loaded\") | .kind" "$T/bad.json")" = http ]'
LLMT_PLUGIN_PATH="$T/bad" "$LLMT_BIN" providers list >"$T/bad2.out" 2>/dev/null
check_sh "without -v the refusals are counted" 'grep -q "4 plugin(s) refused" "$T/bad2.out"'

# 5. same name twice on the path: the first wins, the second is refused
LLMT_PLUGIN_PATH="$PLUGINS:$PLUGINS" "$LLMT_BIN" providers list -v >"$T/dup.out" 2>/dev/null
check_sh "duplicate plugin refused" 'grep -q "first plugin on the path wins" "$T/dup.out"'

# 6. plugin_paths from the project config (relative to llm-tester.json)
mkdir -p "$T/proj"
ln -s "$PLUGINS" "$T/proj/myplugins"
printf '{"config_version": 2, "plugin_paths": ["myplugins"]}\n' >"$T/proj/llm-tester.json"
(cd "$T/proj" && env -u LLMT_PLUGIN_PATH "$LLMT_BIN" providers list) >"$T/proj.out" 2>"$T/proj.err"
check_sh "plugin_paths from llm-tester.json" 'grep -qE "^example +yes" "$T/proj.out"'

finish
