#!/bin/sh
# `scaffold provider` → builds with make, loads, answers a run through the fake server;
# `scaffold task` → list and run --models mock:oracle pick it up; nothing is overwritten.
set -u
: "${LLMT_BIN:?}" "${FAKE_HTTP_SERVER:?}"
. "$(dirname "$0")/lib/common.sh"
T=$WORK
cd "$T" || exit 1

# task
"$LLMT_BIN" scaffold task demo >scaffold_task.out 2>&1
check_sh "scaffold task exits 0" '[ $? -eq 0 ]'
check_sh "task files created" '[ -f tasks/demo/schema.json ] && [ -f tasks/demo/task.json ] && [ -f tasks/demo/tests/sources/example.txt ] && [ -f tasks/demo/tests/expected/example.json ]'
"$LLMT_BIN" list --tasks tasks >list.out 2>list.err
check_sh "list picks the task up" '[ $? -eq 0 ] && grep -q "demo (1 case)" list.out && ! grep -qi error list.err'
"$LLMT_BIN" run --tasks tasks --models mock:oracle --output out >run.out 2>run.err
check_sh "run on mock:oracle scores 100%" '[ $? -eq 0 ] && grep -Eq "demo +example +mock:oracle +100\.00%" run.out'
check_sh "answer valid against the scaffolded schema" 'grep -Eq "\"valid\": *true" out/results.json'

# provider plugin
"$LLMT_BIN" scaffold provider acme-ai --dir "$T/plugins" >scaffold_provider.out 2>&1
check_sh "scaffold provider exits 0" '[ $? -eq 0 ]'
check_sh "plugin files created" '[ -f plugins/acme-ai/acme-ai.c ] && [ -f plugins/acme-ai/config.json ] && [ -f plugins/acme-ai/Makefile ]'
check_sh "TODOs mark the wire format" '[ "$(grep -c TODO plugins/acme-ai/acme-ai.c)" -ge 4 ]'
make -C plugins/acme-ai EXTRA_CFLAGS=-Werror >make.out 2>&1
check_sh "plugin builds warning-free with make" '[ $? -eq 0 ] && [ -f plugins/acme-ai/acme-ai.so ]'
LLMT_PLUGIN_PATH="$T/plugins" "$LLMT_BIN" providers list -v >plist.out 2>plist.err
check_sh "plugin loads at once" 'grep -Eq "^acme-ai +yes +http +1\.[0-9]+ +1 " plist.out && ! grep -q REFUSED plist.out'

# the scaffolded plugin returns the reply body as the text: serve the expected answer
printf '{"default": {"status": 200, "body_file": "%s"}}\n' "$T/tasks/demo/tests/expected/example.json" >script.json
start_fake_http "$T/script.json" "$T/req.jsonl"
LLMT_PLUGIN_PATH="$T/plugins" LLMT_ACME_AI_BASE_URL="$base/v1" \
  "$LLMT_BIN" run --tasks tasks --models acme-ai:acme-ai-model --output out2 >run2.out 2>run2.err
check_sh "run through the scaffolded plugin scores 100%" '[ $? -eq 0 ] && grep -Eq "\"accuracy\": *100" out2/results.json'
check_sh "request went to /v1/chat/completions" 'grep -q "\"path\":\"/v1/chat/completions\"" req.jsonl'
check_sh "request body carries the model" 'grep -q "acme-ai-model" req.jsonl'
check_sh "the body is JSON with the system prompt and the case" \
    'jq -e "select(.path == \"/v1/chat/completions\") | .body | fromjson | .messages[0].role == \"system\" and (.messages | length) == 2" req.jsonl >/dev/null'
stop_fake_http

# errors go through the host's classification: the envelope's message, the class of the
# status, the server's Retry-After
cat >script.json <<'JSON'
{"match": [{"body_contains": "acme-ai-model", "reply": {"status": 429, "headers": {"Retry-After": "0"},
  "body": {"error": {"message": "slow down, acme", "type": "rate_limit_error"}}}}]}
JSON
start_fake_http "$T/script.json" "$T/req2.jsonl"
LLMT_PLUGIN_PATH="$T/plugins" LLMT_ACME_AI_BASE_URL="$base/v1" \
  "$LLMT_BIN" run --tasks tasks --models acme-ai:acme-ai-model --max-retries 1 --output out3 >run3.out 2>run3.err
check_sh "a 429 through the scaffolded plugin is rate_limit with the server's message" \
    'jq -e ".error.class == \"rate_limit\" and (.error.message | contains(\"slow down, acme\"))" out3/results.jsonl >/dev/null'
check_sh "rate_limit is retried" '[ "$(grep -c chat/completions req2.jsonl)" -eq 2 ]'
stop_fake_http

# never overwrite; bad names
echo "mine" >plugins/acme-ai/NOTES
cp plugins/acme-ai/acme-ai.c keep.c
"$LLMT_BIN" scaffold provider acme-ai --dir "$T/plugins" >again.out 2>again.err
check_sh "existing provider folder: exit 2" '[ $? -eq 2 ] && grep -q "already exists" again.err'
check_sh "existing files untouched" 'cmp -s keep.c plugins/acme-ai/acme-ai.c && [ "$(cat plugins/acme-ai/NOTES)" = mine ]'
"$LLMT_BIN" scaffold task demo >/dev/null 2>again2.err
check_sh "existing task folder: exit 2" '[ $? -eq 2 ] && grep -q "tasks/demo already exists" again2.err'
"$LLMT_BIN" scaffold provider "Bad/Name" >/dev/null 2>bad.err
check_sh "invalid name: exit 2" '[ $? -eq 2 ] && grep -q "not a valid name" bad.err'
"$LLMT_BIN" scaffold widget x >/dev/null 2>bad2.err
check_sh "unknown kind: exit 2" '[ $? -eq 2 ]'
"$LLMT_BIN" scaffold --help >help.out 2>&1
check_sh "help has examples" 'grep -q "llm-tester scaffold provider acme" help.out'

finish
