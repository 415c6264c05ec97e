# End to end: every report format, and `report` re-rendering them from a results file.
. "$(dirname "$0")/lib/common.sh"
T="$LLMT_SOURCE_DIR/examples/tasks"

run_cli 0 run --tasks "$T" --models mock:oracle,mock:noisy --seed 3 --output "$WORK/o" --format md,json,html,junit,csv
for f in results.json results.jsonl report.md report.html junit.xml results.csv; do
    check "$f written" test -s "$WORK/o/$f"
done
check "csv: header + one row per result" test "$(lines "$WORK/o/results.csv")" -eq 17
check "junit: one testcase per result" test "$(grep -c '<testcase ' "$WORK/o/junit.xml")" -eq 16
check "junit: one suite per model" test "$(grep -c '<testsuite ' "$WORK/o/junit.xml")" -eq 2
check "html: one embedded data block" test "$(grep -c '<script type="application/json" id="llmt-data">' "$WORK/o/report.html")" -eq 1
check "html: nothing loaded from outside" sh -c "! grep -Eq '(src|href)=\"(https?:)?//' '$WORK/o/report.html'"
check "md: lost points listed for noisy" contains "$WORK/o/report.md" "mock:noisy"
check "md: per-task table" contains "$WORK/o/report.md" "| job_ads | mock:noisy | 4 | 0 |"
check "md: fields lost most often" contains "$WORK/o/report.md" "## Fields lost most often"
check "console: most lost fields of noisy" grep -Eq '^Most lost mock:noisy +/[a-z_/]+ [0-9]+/[0-9]+' "$WORK/out"
check "console: nothing lost by the oracle" sh -c "! grep -q '^Most lost mock:oracle' '$WORK/out'"

# an answer with markup must be escaped in HTML and XML
mkdir -p "$WORK/t/x/tests/sources" "$WORK/t/x/tests/expected"
echo '{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}' >"$WORK/t/x/schema.json"
echo 'The name is Bob.' >"$WORK/t/x/tests/sources/c.txt"
echo '{"name":"Bob"}' >"$WORK/t/x/tests/expected/c.json"
cat >"$WORK/rules.json" <<'JSON'
{"rules": [{"contains": "Bob", "reply": "{\"name\": \"<script>alert(1)</script>\"}"}]}
JSON
run_cli 0 run --tasks "$WORK/t" --models mock:rules --mock-rules "$WORK/rules.json" --output "$WORK/x" --format html,junit,md,json
check "html escapes answers" sh -c "! grep -q '<script>alert' '$WORK/x/report.html'"
check "html embeds the answer escaped" grep -q '\\u003cscript\\u003ealert' "$WORK/x/report.html"
check "junit has no raw markup" sh -c "! grep -q '<script>' '$WORK/x/junit.xml'"

# report re-renders from results.json and from results.jsonl
run_cli 0 report "$WORK/o/results.json" --format csv,junit,html --output "$WORK/r1"
check "csv from results.json matches the run's" cmp -s "$WORK/o/results.csv" "$WORK/r1/results.csv"
check "no temporary file left" test "$(ls -A "$WORK/r1" | grep -c '^\.')" -eq 0
run_cli 0 report "$WORK/o/results.jsonl" --format csv --output "$WORK/r2"
check "csv from results.jsonl matches" cmp -s "$WORK/o/results.csv" "$WORK/r2/results.csv"
run_cli 2 report "$WORK/missing.json"
check "missing file named" contains "$WORK/err" "missing.json"
echo '{"results": 3}' >"$WORK/bad.json"
run_cli 2 report "$WORK/bad.json"
check "bad results file named with path" contains "$WORK/err" "/results: expected array"
run_cli 2 run --tasks "$T" --models mock:oracle --format pdf
check "unknown format named" contains "$WORK/err" "'pdf'"

# the comparison page: from two output folders (results.jsonl, or results.json only)
run_cli 0 run --tasks "$T" --models mock:oracle,mock:noisy --seed 4 --output "$WORK/o2" --format json
rm "$WORK/o2/results.jsonl"
run_cli 0 report --compare "$WORK/o" "$WORK/o2" --output "$WORK/cmp"
check "compare.html written" test -s "$WORK/cmp/compare.html"
check "compare.html in diff mode" grep -q '"mode":"diff"' "$WORK/cmp/compare.html"
check "compare: no temporary file left" test "$(ls -A "$WORK/cmp" | grep -c '^\.')" -eq 0
run_cli 2 report --compare "$WORK/o"
check "compare: two folders asked for" contains "$WORK/err" "OLD_DIR NEW_DIR"
run_cli 2 report --compare "$WORK/o" "$WORK/nowhere"
check "compare: a folder without results named" contains "$WORK/err" "nowhere: no results.jsonl or results.json"
# and from the history, on stdout or into a file
export LLMT_HISTORY_DB="$WORK/history.db"
run_cli 0 run --tasks "$T" --models mock:noisy --seed 5 --output "$WORK/h1" --format json
run_cli 0 run --tasks "$T" --models mock:noisy --seed 6 --output "$WORK/h2" --format json
run_cli 0 history compare previous latest --format html
check "history compare html on stdout" grep -q '"model_stats"' "$WORK/out"
run_cli 0 history compare previous latest --format html --output "$WORK/hist.html"
check "history compare html into a file" grep -q '<script type="application/json" id="llmt-data">' "$WORK/hist.html"
run_cli 2 history list --format html
check "history: --format only for compare" contains "$WORK/err" "only 'compare --format html'"
unset LLMT_HISTORY_DB

finish
