# End to end: `llm-tester score` — stdout, stderr and exit codes.
. "$(dirname "$0")/lib/common.sh"
D="$WORK/score"
cd "$WORK" # no project config from the build tree applies
mkdir -p "$D"

cat >"$D/expected.json" <<'EOF'
{"a": 1, "nested": {"x": 10, "y": "val"}, "title": "Software Engineer",
 "skills": ["react", "python", "sql"], "price": 100.0}
EOF
cat >"$D/reply.txt" <<'EOF'
Sure! Here is the extracted data:
```json
{"a": 1, "nested": {"x": 10, "y": "wrong"}, "title": "Software Enginer",
 "skills": ["python", "sql", "react"], "price": 102.5, "extra": true}
```
Let me know if you need anything else.
EOF
cat >"$D/schema.json" <<'EOF'
{"type": "object",
 "properties": {"a": {"type": "integer"}, "title": {"type": "string"},
                "nested": {"type": "object", "properties": {"y": {"type": "integer"}}},
                "price": {"type": "number", "maximum": 101}},
 "required": ["a", "title", "currency"]}
EOF

# text output: accuracy, validity, extraction method, the table of fields that lost points
run_cli 0 score "$D/expected.json" "$D/reply.txt"
check "text: accuracy" contains "$WORK/out" "accuracy: 46.97%"
check "text: no schema" contains "$WORK/out" "valid: not checked (no --schema)"
check "text: extraction" contains "$WORK/out" "extraction: fence"
check "text: lost field listed" contains "$WORK/out" "/nested/y"
check "text: fuzzy field listed" contains "$WORK/out" "fuzzy (similarity 96.97%)"
check "text: nothing on stderr" test ! -s "$WORK/err"

# options: set_similarity + tolerance: skills and price match
run_cli 0 score "$D/expected.json" "$D/reply.txt" --list-mode set_similarity --tolerance 0.05
check "options: accuracy" contains "$WORK/out" "accuracy: 86.97%"

# weights (repeatable): a=3 → (3 + 0.5 + 0.8485 + 0 + 0) / 7
run_cli 0 score "$D/expected.json" "$D/reply.txt" --weight a=3 --weight title=1
check "weights: accuracy" contains "$WORK/out" "accuracy: 62.12%"

# --json: one object; valid is null without --schema
run_cli 0 score "$D/expected.json" "$D/reply.txt" --json
check "json: accuracy key" contains "$WORK/out" '"accuracy": 46.9696'
check "json: valid null" contains "$WORK/out" '"valid": null'
check "json: violations" contains "$WORK/out" '"violations": []'
check "json: reasons" contains "$WORK/out" '"reason": "fuzzy"'
check "json: extra listed" contains "$WORK/out" '"reason": "extra"'
if command -v jq >/dev/null 2>&1; then
    check "json: parses, four keys" test "$(jq -c '[has("accuracy"), has("valid"), has("violations"), has("fields")]' "$WORK/out")" = "[true,true,true,true]"
    check "json: field detail shape" test "$(jq -c '.fields[] | select(.path == "/title") | [.expected, .actual, .weight, .reason]' "$WORK/out")" = '["Software Engineer","Software Enginer",1,"fuzzy"]'
fi

# --schema: every violation with its path, accuracy still shown
run_cli 0 score "$D/expected.json" "$D/reply.txt" --schema "$D/schema.json"
check "schema: invalid" contains "$WORK/out" "valid: no (3 violations)"
check "schema: violation path" contains "$WORK/out" "/nested/y: expected integer, got string"
check "schema: required" contains "$WORK/out" "/currency: required property missing"
check "schema: maximum" contains "$WORK/out" "/price: 102.5 is greater than the maximum 101"
check "schema: accuracy shown anyway" contains "$WORK/out" "accuracy: 46.97%"
run_cli 0 score "$D/expected.json" "$D/reply.txt" --schema "$D/schema.json" --json
check "schema json: valid false" contains "$WORK/out" '"valid": false'

# stdin, and a clean answer scoring 100
run_cli 0 score "$D/expected.json" - <"$D/expected.json"
check "stdin: 100" contains "$WORK/out" "accuracy: 100.00%"
check "stdin: whole" contains "$WORK/out" "extraction: whole"
check "stdin: nothing lost" contains "$WORK/out" "No field lost points."

# unsupported schema keywords: a warning on stderr, still scored
echo '{"type": "object", "x-vendor": {"^x": {}}}' >"$D/warn.json"
run_cli 0 score "$D/expected.json" "$D/reply.txt" --schema "$D/warn.json"
check "warning: named" contains "$WORK/err" "warn.json: warning: /x-vendor: keyword 'x-vendor' is not checked"

# unreadable input: exit 2 with a clear message naming the file
run_cli 2 score "$D/expected.json" "$D/missing.txt"
check "missing actual named" contains "$WORK/err" "missing.txt"
check "missing actual: nothing on stdout" test ! -s "$WORK/out"
run_cli 2 score "$D/missing.json" "$D/reply.txt"
check "missing expected named" contains "$WORK/err" "missing.json"
printf '{"a": 1,' >"$D/truncated.json"
run_cli 2 score "$D/truncated.json" "$D/reply.txt"
check "bad expected: line/column" contains "$WORK/err" "truncated.json: line 1, column"
echo "I am sorry, I cannot help with that." >"$D/prose.txt"
run_cli 2 score "$D/expected.json" "$D/prose.txt"
check "no JSON in reply" contains "$WORK/err" "no JSON object found"
printf 'Here:\n{"a": 1, "title": "x"' >"$D/cut.txt"
run_cli 2 score "$D/expected.json" "$D/cut.txt"
check "truncated reply: where" contains "$WORK/err" "line 2, column 1 is never closed"
echo '{"type": 5}' >"$D/bad_schema.json"
run_cli 2 score "$D/expected.json" "$D/reply.txt" --schema "$D/bad_schema.json"
check "bad schema: file and path" contains "$WORK/err" "bad_schema.json: /type: type must be"
run_cli 2 score "$D/expected.json" "$D/reply.txt" --schema "$D/truncated.json"
check "unparseable schema named" contains "$WORK/err" "truncated.json: line 1"

# wrong types at the top level are scored, not crashed on
echo '[{"a": 1}]' >"$D/array.json"
run_cli 0 score "$D/expected.json" "$D/array.json" --json
check "array answer: 0" contains "$WORK/out" '"accuracy": 0.0'
check "array answer: type_mismatch" contains "$WORK/out" '"reason": "type_mismatch"'

# usage errors
run_cli 2 score "$D/expected.json"
check "usage: two files" contains "$WORK/err" "expected EXPECTED.json and ACTUAL"
run_cli 2 score "$D/expected.json" "$D/reply.txt" --list-mode sideways
check "usage: list mode" contains "$WORK/err" "--list-mode must be"
run_cli 2 score "$D/expected.json" "$D/reply.txt" --weight title
check "usage: weight" contains "$WORK/err" "KEY=W"
run_cli 2 score "$D/expected.json" "$D/reply.txt" --threshold 120
run_cli 0 score --help
check "help: usage" contains "$WORK/out" "--weight KEY=W"

# the project config's "scoring" applies below the command line
mkdir -p "$D/proj"
echo '{"config_version": 2, "scoring": {"list_mode": "set_similarity"}}' >"$D/proj/llm-tester.json"
(cd "$D/proj" && "$LLMT_BIN" score "$D/expected.json" "$D/reply.txt" >"$WORK/out" 2>"$WORK/err")
check "project config: exit 0" test $? -eq 0
check "project config: set_similarity" contains "$WORK/out" "accuracy: 66.97%"
(cd "$D/proj" && "$LLMT_BIN" score "$D/expected.json" "$D/reply.txt" --list-mode ordered_exact >"$WORK/out" 2>"$WORK/err")
check "command line wins" contains "$WORK/out" "accuracy: 46.97%"

finish
