#!/bin/sh
# The mock provider's rules through the CLI: --mock-rules, a task-local mock_rules.json
# (consulted first), simulated errors recorded with their class, determinism under --seed.
set -u
: "${LLMT_BIN:?}"
pass=0; fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT INT TERM

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
check "run exits 0" '[ -s "$T/o1/results.json" ]'
check "task-local rule answers case b" 'grep "\"case\": *\"b\"" "$T/o1/results.jsonl" | grep "\"model\": *\"rules\"" | grep -Eq "\"accuracy\": *100"'
check "global rule answers case a" 'grep "\"case\": *\"a\"" "$T/o1/results.jsonl" | grep "\"model\": *\"rules\"" | grep -q global'
check "global default for the rest" 'grep "\"case\": *\"c\"" "$T/o1/results.jsonl" | grep "\"model\": *\"rules\"" | grep -q zzz'
check "simulated overloaded errors recorded" 'grep -q "\"class\": *\"overloaded\"" "$T/o1/results.jsonl"'
check "retry_after recorded" 'grep -Eq "\"retry_after_s\": *3" "$T/o1/results.jsonl"'
check "errors hit only mock:oracle" '! grep "overloaded" "$T/o1/results.jsonl" | grep -q "\"model\": *\"rules\""'
pat() { grep -o '"case":"[a-h]","provider":"mock","model":"oracle"[^}]*"error":[^,]*' "$1/results.jsonl" | sed 's/.*"error":\(.\).*/\1/' | tr -d '\n'; }
check "same seed, same errors" '[ "$(pat "$T/o1")" = "$(pat "$T/o2")" ]'
check "other seed, other errors" '[ "$(pat "$T/o1")" != "$(pat "$T/o3")" ]'
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
