#!/bin/sh
# examples/library: the two programs of docs/library.md, run against the mock provider.
set -u
: "${LLMT_BUILD_DIR:?}" "${LLMT_SOURCE_DIR:?}"
. "$(dirname "$0")/lib/common.sh"
T=$WORK
B="$LLMT_BUILD_DIR/examples/library"
S="$LLMT_SOURCE_DIR/examples/tasks/job_ads"
check_sh "examples built" '[ -x "$B/complete" ] && [ -x "$B/extract" ]'

cat >"$T/rules.json" <<'JSON'
{"rules": [
  {"contains": "Say hi", "reply": "{\"greeting\": \"hi\"}"},
  {"contains": "Extract the person", "models": ["rules"], "reply": "{\"name\": \"Alice\"}"},
  {"contains": "Extract the person", "models": ["oracle"], "reply": "Sure:\n```json\n{\"name\": \"Alice\", \"age\": 30}\n```"},
  {"contains": "flaky", "probability": 0.0, "reply": "never"}
],
 "errors": [{"contains": "busy", "error": {"class": "overloaded", "retry_after": 0.01}, "times": 1, "models": ["rules"]}],
 "default": "{\"greeting\": \"default\"}"}
JSON
printf '%s\n' '{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]}' >"$T/schema.json"
printf 'Alice is thirty.\n' >"$T/source.txt"

# complete: the first model answers
"$B/complete" --mock-rules "$T/rules.json" mock:rules "Say hi as JSON" >"$T/c1.out" 2>"$T/c1.err"
check_sh "complete exits 0" '[ $? -eq 0 ]'
check_sh "complete prints the reply" 'grep -q "\"greeting\": \"hi\"" "$T/c1.out"'
check_sh "complete reports tokens and cost" 'grep -Eq "answered by mock:rules after 1 call\(s\); [0-9]+ input \+ [0-9]+ output tokens; cost [$]0\.0000" "$T/c1.err"'
# complete: the first model fails (mock:noisy needs a task), the fallback answers
"$B/complete" --mock-rules "$T/rules.json" --fallback mock:rules mock:noisy "Say hi as JSON" >"$T/c2.out" 2>"$T/c2.err"
check_sh "fallback answers" '[ $? -eq 0 ] && grep -q "answered by mock:rules" "$T/c2.err"'
check_sh "first failure reported with its class" 'grep -q "mock:noisy failed first: unsupported" "$T/c2.err"'
# complete: a retryable error (the first call is overloaded) is retried, not fallen back from
"$B/complete" --mock-rules "$T/rules.json" --fallback mock:oracle mock:rules "busy? Say hi" >"$T/c3.out" 2>"$T/c3.err"
check_sh "retried call succeeds on the same model" 'grep -q greeting "$T/c3.out" && grep -q "answered by mock:rules after 2 call(s)" "$T/c3.err"'
# complete: every model fails
"$B/complete" mock:noisy "Say hi" >/dev/null 2>"$T/c4.err"
check_sh "all failed exits 1" '[ $? -eq 1 ] && grep -q "every model failed" "$T/c4.err"'
"$B/complete" >/dev/null 2>&1
check_sh "usage error exits 2" '[ $? -eq 2 ]'

# extract: primary answer invalid (no age) -> secondary answers in a fenced block
"$B/extract" --mock-rules "$T/rules.json" --secondary mock:oracle mock:rules "$T/schema.json" "Extract the person" "$T/source.txt" >"$T/x1.out" 2>"$T/x1.err"
check_sh "extract exits 0 via secondary" '[ $? -eq 0 ]'
check_sh "extract prints validated JSON" 'grep -qx "{\"name\":\"Alice\",\"age\":30}" "$T/x1.out"'
check_sh "extract says the secondary answered and sums 2 calls" 'grep -q "answered by mock:oracle (secondary asked); 2 call(s)" "$T/x1.err"'
# extract: no secondary -> violations and exit 1
"$B/extract" --mock-rules "$T/rules.json" mock:rules "$T/schema.json" "Extract the person" "$T/source.txt" >"$T/x2.out" 2>"$T/x2.err"
check_sh "invalid answer exits 1" '[ $? -eq 1 ]'
check_sh "violation names the path" 'grep -q "violation: /age" "$T/x2.err"'
check_sh "usage counted even when invalid" 'grep -Eq "1 call\(s\); [1-9][0-9]* input" "$T/x2.err"'
# extract: invalid schema -> exit 2 naming the problem
printf '{"type": \n' >"$T/bad_schema.json"
"$B/extract" --mock-rules "$T/rules.json" mock:rules "$T/bad_schema.json" "Extract the person" "$T/source.txt" >/dev/null 2>"$T/x3.err"
check_sh "invalid schema exits 2" '[ $? -eq 2 ] && grep -q "schema" "$T/x3.err"'
# extract on a shipped example task's schema and source with the oracle-like rules
"$B/extract" --mock-rules "$T/rules.json" mock:rules "$S/schema.json" "Extract the job" "$S/tests/sources/nurse_part_time.txt" >/dev/null 2>"$T/x4.err"
check_sh "real schema: default reply is invalid, exits 1" '[ $? -eq 1 ] && grep -q violation "$T/x4.err"'

finish
