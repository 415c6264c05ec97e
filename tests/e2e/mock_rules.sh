#!/bin/sh
# The mock provider's rules through the CLI: --mock-rules (and --provider-option
# mock.rules=, a project's providers/mock.json options), a task-local mock_rules.json
# (consulted first), simulated errors recorded with their class, determinism under --seed.
set -u
: "${LLMT_BIN:?}"
. "$(dirname "$0")/lib/common.sh"
T=$WORK

mkdir -p "$T/tasks/t1/tests/sources" "$T/tasks/t1/tests/expected"
printf '%s\n' '{"type":"object","properties":{"v":{"type":"string"}},"required":["v"]}' >"$T/tasks/t1/schema.json"
for c in a b c d e f g h; do
  printf 'case %s\n' "$c" >"$T/tasks/t1/tests/sources/$c.txt"
  printf '{"v": "%s"}\n' "$c" >"$T/tasks/t1/tests/expected/$c.json"
done
cat >"$T/global.json" <<'JSON'
{"rules": [{"contains": "case a", "reply": {"v": "global"}}], "default": {"reply": {"v": "zzz"}}}
JSON
cat >"$T/tasks/t1/mock_rules.json" <<'JSON'
{"errors": [{"error": {"class": "overloaded", "retry_after": 3}, "probability": 0.5, "models": ["oracle"]}],
 "rules": [{"contains": "case b", "in": "source", "reply": "{\"v\": \"b\"}"}]}
JSON
run() { "$LLMT_BIN" run --tasks "$T/tasks" --models mock:rules --models mock:oracle \
          --mock-rules "$T/global.json" --seed "$1" --output "$2" >"$2.out" 2>"$2.err"; }
run 7 "$T/o1"; run 7 "$T/o2"; run 8 "$T/o3"
check_sh "run exits 0" '[ -s "$T/o1/results.json" ]'
check_sh "task-local rule answers case b" 'grep "\"case\": *\"b\"" "$T/o1/results.jsonl" | grep "\"model\": *\"rules\"" | grep -Eq "\"accuracy\": *100"'
check_sh "global rule answers case a" 'grep "\"case\": *\"a\"" "$T/o1/results.jsonl" | grep "\"model\": *\"rules\"" | grep -q global'
check_sh "global default for the rest" 'grep "\"case\": *\"c\"" "$T/o1/results.jsonl" | grep "\"model\": *\"rules\"" | grep -q zzz'
check_sh "simulated overloaded errors recorded" 'grep -q "\"class\": *\"overloaded\"" "$T/o1/results.jsonl"'
check_sh "retry_after recorded" 'grep -Eq "\"retry_after_s\": *3" "$T/o1/results.jsonl"'
check_sh "errors hit only mock:oracle" '! grep "overloaded" "$T/o1/results.jsonl" | grep -q "\"model\": *\"rules\""'
pat() { grep -o '"case":"[a-h]","provider":"mock","model":"oracle"[^}]*"error":[^,]*' "$1/results.jsonl" | sed 's/.*"error":\(.\).*/\1/' | tr -d '\n'; }
check_sh "same seed, same errors" '[ "$(pat "$T/o1")" = "$(pat "$T/o2")" ]'
check_sh "other seed, other errors" '[ "$(pat "$T/o1")" != "$(pat "$T/o3")" ]'
# per-provider options: --provider-option mock.rules=FILE does what --mock-rules does;
# a project's providers/mock.json "options" too; an unknown provider is refused
"$LLMT_BIN" run --tasks "$T/tasks" --models mock:rules --provider-option "mock.rules=$T/global.json" \
  --seed 7 --output "$T/o4" >"$T/o4.out" 2>"$T/o4.err"
check_sh "--provider-option mock.rules answers like --mock-rules" 'grep "\"case\": *\"a\"" "$T/o4/results.jsonl" | grep -q global'
mkdir -p "$T/proj/providers"
printf '{"config_version": 2, "tasks_dir": "%s"}\n' "$T/tasks" >"$T/proj/llm-tester.json"
printf '{"config_version": 2, "options": {"rules": "%s"}}\n' "$T/global.json" >"$T/proj/providers/mock.json"
(cd "$T/proj" && "$LLMT_BIN" run --models mock:rules --seed 7 --output "$T/o5" >"$T/o5.out" 2>"$T/o5.err")
check_sh "project providers/mock.json options.rules is used" 'grep "\"case\": *\"a\"" "$T/o5/results.jsonl" | grep -q global'
"$LLMT_BIN" run --tasks "$T/tasks" --models mock:rules --provider-option "nosuch.rules=x" \
  --output "$T/o6" >"$T/o6.out" 2>"$T/o6.err"; rc=$?
check_sh "unknown provider in --provider-option: exit 2 naming it" '[ $rc -eq 2 ] && grep -q "unknown provider .nosuch." "$T/o6.err"'
"$LLMT_BIN" run --tasks "$T/tasks" --models mock:rules --provider-option "mockrules" \
  --output "$T/o7" >"$T/o7.out" 2>"$T/o7.err"; rc=$?
check_sh "malformed --provider-option: exit 2" '[ $rc -eq 2 ] && grep -q "PROVIDER.KEY=VALUE" "$T/o7.err"'
finish
