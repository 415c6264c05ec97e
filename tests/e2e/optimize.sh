#!/bin/sh
# `run --optimize`: the mock's rules answer correctly only when the prompt names the
# missing field, so the amended prompt must name it for the re-run to reach 100 %.
# Also: one line per field in priority order, the optimizer model, where prompts are
# saved, the "prompt" label of results, and refused option combinations.
set -u
. "$LLMT_SOURCE_DIR/tests/e2e/lib/common.sh"
cd "$WORK" || exit 1
"$LLMT_BIN" scaffold task people --dir tasks >/dev/null 2>&1
FULL='{"name": "Maria Lopez", "email": "maria.lopez@example.com", "skills": ["Python", "SQL", "Airflow"]}'
cat >rules.json <<JSON
{"rules": [{"contains": "'email' must be included", "in": "prompt", "reply": $FULL}],
 "default": {"reply": {"name": "Maria Lopez", "skills": ["Python", "SQL", "Airflow"]}}}
JSON

run_cli 0 run --tasks tasks --models mock:rules --models mock:oracle --mock-rules rules.json --output o1 --optimize
# the original answer lacks the required email: it breaks the schema and scores 0 %
check "original below 100, optimized at 100" grep -Eq "^people +example +mock:rules +0\.00% +100\.00% +\+100\.00" "$WORK/out"
check "a model already at 100 stays there" grep -Eq "^people +example +mock:oracle +100\.00% +100\.00%" "$WORK/out"
check "the prompt names the missing field" grep -qx "The field 'email' must be included in your response." o1/optimized_prompts/people/example.txt
check "the original prompt comes first" sh -c 'head -1 o1/optimized_prompts/people/example.txt | grep -q "^Extract the person described below"'
check "tips appended" grep -qx -- "- Format dates in ISO format (YYYY-MM-DD)" o1/optimized_prompts/people/example.txt
check "original results labelled" sh -c '[ "$(grep -c "\"prompt\":\"original\"" o1/results.jsonl)" -eq 2 ]'
check "re-run results labelled" sh -c '[ "$(grep -c "\"prompt\":\"optimized\"" o1/optimized/results.jsonl)" -eq 2 ]'
check "comparison file" sh -c 'tr -d " \n" <o1/optimize.json | grep -q "\"model\":\"mock:rules\",\"original\":0.0,\"optimized\":100.0"'
check "the task's own files untouched" test ! -e tasks/people/tests/prompts

# priority: missing > wrong value > list length > unexpected, one line per field
cat >r2.json <<'JSON'
{"default": {"reply": {"age": 31, "skills": ["Python", "SQL"], "name": "Maria Lopes"}}}
JSON
run_cli 0 run --tasks tasks --models mock:rules --mock-rules r2.json --output o2 --optimize
sed -n '/^ADDITIONAL INSTRUCTIONS:/,/^$/p' o2/optimized_prompts/people/example.txt >lines.txt
cat >want.txt <<'TXT'
ADDITIONAL INSTRUCTIONS:
IMPORTANT: Your response must be valid JSON with the requested fields and formats.
The field 'email' must be included in your response.
Pay special attention to the value of 'name' to ensure accuracy.
Ensure you extract all items for the list 'skills'.
Do not include extra field 'age' in your response.

TXT
check "one line per field, by priority" cmp -s want.txt lines.txt

# --save-optimized: the Python tool's place, and the task still lists the same cases
run_cli 0 run --tasks tasks --models mock:rules --mock-rules rules.json --output o3 --optimize --save-optimized
check "saved in the task" cmp -s o3/optimized_prompts/people/example.txt tasks/people/tests/prompts/optimized/example.txt
run_cli 0 list --tasks tasks
check "the saved prompt is not a case" contains "$WORK/out" "people (1 case)"
rm -rf tasks/people/tests/prompts

# an optimizer model rewrites the prompt from the same problems; its call is counted
cat >r3.json <<JSON
{"rules": [{"contains": "You improve prompts", "in": "prompt",
            "reply": "\`\`\`text\\nExtract the person as JSON. The field 'email' must be included in your response.\\n\`\`\`\\n"},
           {"contains": "'email' must be included", "in": "prompt", "reply": $FULL}],
 "default": {"reply": {"name": "Maria Lopez", "skills": ["Python", "SQL", "Airflow"]}}}
JSON
run_cli 0 run --tasks tasks --models mock:rules --mock-rules r3.json --output o4 --optimize --optimizer-model mock:rules
check "rewritten prompt is the model's reply" grep -qx "Extract the person as JSON. The field 'email' must be included in your response." o4/optimized_prompts/people/example.txt
check "the fence around the reply is dropped" sh -c '! grep -q "\`\`\`" o4/optimized_prompts/people/example.txt'
check "rewritten prompt reaches 100" grep -Eq "^people +example +mock:rules +0\.00% +100\.00%" "$WORK/out"
check "optimizer call counted" grep -Eq "^Optimizer: 1 call\(s\), \\$[0-9.]+" "$WORK/out"
check "re-run and optimizer cost said" grep -Eq "^Re-run cost: \\$[0-9.]+; optimization in all: \\$[0-9.]+$" "$WORK/out"
check "optimizer in the comparison" sh -c 'tr -d " \n" <o4/optimize.json | grep -q "\"optimizer\":\"mock:rules\",\"cases\":1,\"optimizer_calls\":1"'

# nothing to optimize; refused combinations
run_cli 0 run --tasks tasks --models mock:oracle --output o5 --optimize
check "nothing to optimize said" contains "$WORK/out" "nothing to optimize"
run_cli 2 run --tasks tasks --models mock:oracle --optimize
check "needs an output folder" contains "$WORK/err" "--optimize needs an output folder"
run_cli 2 run --tasks tasks --models mock:oracle --output o6 --save-optimized
run_cli 2 run --tasks tasks --models mock:oracle --output o7 --optimize --optimizer-model nope:x
check "unknown optimizer model named" contains "$WORK/err" "--optimizer-model"
finish
