# End to end: how `run` scores — options by precedence (command line > task.json >
# project config > defaults), results.json's valid/violations/fields/extraction, and
# report.md's "Fields that lost points".
. "$(dirname "$0")/lib/common.sh"
P="$WORK/proj"
T="$P/tasks/jobs"
mkdir -p "$T/tests/sources" "$T/tests/expected"
cat >"$T/schema.json" <<'EOF'
{"type": "object", "required": ["title", "city"],
 "properties": {"id": {"type": "integer"}, "title": {"type": "string"},
                "skills": {"type": "array", "items": {"type": "string"}},
                "city": {"type": "string"}, "salary": {"anyOf": [{"type": "number"}, {"type": "null"}]}}}
EOF
cat >"$T/task.json" <<'EOF'
{"description": "scoring options test", "prompt": "Extract the job.",
 "scoring": {"list_mode": "set_similarity", "weights": {"title": 3}},
 "skip_fields": ["id"]}
EOF
echo "Engineer in Oslo, skills a and b." >"$T/tests/sources/c1.txt"
echo '{"id": 1, "title": "Engineer", "skills": ["a", "b"], "city": "Oslo"}' >"$T/tests/expected/c1.json"
# the answer: another id (skipped), skills reordered, the wrong city, a salary of the wrong type
cat >"$WORK/rules.json" <<'EOF'
{"rules": [{"contains": "Engineer in Oslo",
            "reply": "Here it is:\n```json\n{\"id\": 99, \"title\": \"Engineer\", \"skills\": [\"b\", \"a\"], \"city\": \"Bergen\", \"salary\": \"high\"}\n```"}]}
EOF
export LLMT_HISTORY_DB="$WORK/h.db"
cd "$WORK" # no project config from the build tree applies

run_in_proj() { (cd "$P" && "$LLMT_BIN" "$@" >"$WORK/out" 2>"$WORK/err"); }
# the answer breaks the schema (salary), so its accuracy is 0; what the scoring options
# make of its fields is accuracy_if_valid
acc() { jq -r '.results[0].accuracy_if_valid * 100 | round / 100' "$1/results.json"; }

# task.json alone: title 3 + skills (set) 1 + city 0 over 5 → 80
run_cli 0 run --tasks "$P/tasks" --models mock:rules --mock-rules "$WORK/rules.json" --output "$WORK/o1" --no-history
check "task.json options" test "$(acc "$WORK/o1")" = "80"
check "an answer that breaks the schema scores 0" test "$(jq '.results[0].accuracy' "$WORK/o1/results.json")" = 0
check "extraction recorded" test "$(jq -r '.results[0].extraction' "$WORK/o1/results.json")" = "fence"
check "valid recorded" test "$(jq -r '.results[0].valid' "$WORK/o1/results.json")" = "false"
check "violation with path" test "$(jq -r '.results[0].violations[0]' "$WORK/o1/results.json")" = \
    "/salary: expected number or null, got string"
check "fields: city lost points" test "$(jq -c '.results[0].fields[] | select(.path == "/city") | [.expected, .actual, .score, .reason]' "$WORK/o1/results.json")" = \
    '["Oslo","Bergen",0,"mismatch"]'
check "fields: title weight" test "$(jq -r '.results[0].fields[] | select(.path == "/title") | .weight' "$WORK/o1/results.json")" = "3"
check "fields: skipped id absent" test "$(jq '[.results[0].fields[] | select(.path == "/id")] | length' "$WORK/o1/results.json")" = "0"
check "fields: extra listed" test "$(jq -r '.results[0].fields[] | select(.path == "/salary") | .reason' "$WORK/o1/results.json")" = "extra"
check "report lists the lost field" contains "$WORK/o1/report.md" '| `/city` | `"Oslo"` | `"Bergen"` | 0.00 | 1.00 | mismatch'
check "report lists the violation" contains "$WORK/o1/report.md" "/salary: expected number or null, got string"

# the command line beats task.json
run_cli 0 run --tasks "$P/tasks" --models mock:rules --mock-rules "$WORK/rules.json" --output "$WORK/o2" --no-history --list-mode ordered_exact
check "--list-mode wins" test "$(acc "$WORK/o2")" = "60"
run_cli 0 run --tasks "$P/tasks" --models mock:rules --mock-rules "$WORK/rules.json" --output "$WORK/o3" --no-history --weight title=1
check "--weight wins" test "$(acc "$WORK/o3")" = "66.67"
run_cli 2 run --tasks "$P/tasks" --models mock:rules --mock-rules "$WORK/rules.json" --no-history --weight title=heavy
check "bad --weight named" contains "$WORK/err" "--weight title=heavy"

# the project config sits below task.json: its city weight applies, its title weight doesn't
echo '{"config_version": 2, "scoring": {"weights": {"city": 5, "title": 10}}}' >"$P/llm-tester.json"
run_in_proj run --tasks "$P/tasks" --models mock:rules --mock-rules "$WORK/rules.json" --output "$WORK/o4" --no-history
check "project config below task.json" test "$(acc "$WORK/o4")" = "44.44"
# the same config named with --config from elsewhere applies the same way
mv "$P/llm-tester.json" "$WORK/elsewhere.json"
run_cli 0 run --config "$WORK/elsewhere.json" --tasks "$P/tasks" --models mock:rules --mock-rules "$WORK/rules.json" --output "$WORK/o4b" --no-history
check "--config scoring applies" test "$(acc "$WORK/o4b")" = "44.44"
mv "$WORK/elsewhere.json" "$P/llm-tester.json"

# a broken scoring option in task.json stops the run, naming file and path
cat >"$T/task.json" <<'EOF'
{"prompt": "Extract the job.", "scoring": {"weights": {"title": "heavy"}}}
EOF
rm "$P/llm-tester.json"
run_cli 2 run --tasks "$P/tasks" --models mock:rules --mock-rules "$WORK/rules.json" --no-history
check "bad task scoring named" contains "$WORK/err" "/scoring/weights/title"

# an invalid schema stops the run, naming file and JSON path
echo '{"prompt": "Extract the job."}' >"$T/task.json"
echo '{"type": "object", "properties": {"title": {"type": "text"}}}' >"$T/schema.json"
run_cli 2 run --tasks "$P/tasks" --models mock:rules --mock-rules "$WORK/rules.json" --no-history
check "bad schema named" contains "$WORK/err" "schema.json: /properties/title/type: unknown type"
finish
