# End to end: the run engine through the CLI — Ctrl-C leaves a valid results.jsonl with
# every finished case, --resume sends only what is missing, a second Ctrl-C exits at
# once, budget, dry-run, repeat statistics, flag validation, no progress when piped.
. "$(dirname "$0")/lib/common.sh"
T="$LLMT_SOURCE_DIR/examples/tasks"
CASES=8

# every line of a results.jsonl is one complete JSON object
valid_jsonl() {
    [ "$(jq -c . "$1" 2>/dev/null | wc -l | tr -d ' ')" -eq "$(lines "$1")" ] &&
        [ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ]
}
distinct_keys() { jq -r '"\(.task)/\(.case)/\(.provider):\(.model)/\(.repeat)"' "$1" | sort -u | wc -l | tr -d ' '; }
# results.json's array is the lines of results.jsonl, byte for byte and in order (it is
# written alongside results.jsonl during the run and completed at the end)
same_results() {
    awk 'f && /^  \],?$/ { exit } f { sub(/^    /, ""); sub(/,$/, ""); print } /"results": \[$/ { f = 1 }' \
        "$1/results.json" >"$WORK/results.lines" && cmp -s "$WORK/results.lines" "$1/results.jsonl"
}
# nothing left of the temporary files of an atomic write
no_temp_files() { [ -z "$(ls -a "$1" | grep -F .tmp.)" ]; }

# --- Ctrl-C mid-run: 16,000 mock calls take seconds; interrupt after 0.5 s
TOTAL=$((CASES * 2 * 1000))
"$LLMT_BIN" run --tasks "$T" --models mock:oracle,mock:noisy --repeat 1000 --no-history \
    --output "$WORK/int" >"$WORK/out" 2>"$WORK/err" &
pid=$!
sleep 0.5
kill -INT "$pid"
wait "$pid"
code=$?
check "interrupted run exits 130 (got $code)" test "$code" -eq 130
check "results.jsonl is valid JSON lines" valid_jsonl "$WORK/int/results.jsonl"
done_n=$(lines "$WORK/int/results.jsonl")
check "some but not all results ($done_n of $TOTAL)" test "$done_n" -gt 0 -a "$done_n" -lt "$TOTAL"
check "results.json written with every finished result" \
    test "$(jq '.results | length' "$WORK/int/results.json")" -eq "$done_n"
check "report.md written" test -s "$WORK/int/report.md"
check "interrupted: results.json holds the lines of results.jsonl" same_results "$WORK/int"
check "interrupted: no temporary files" no_temp_files "$WORK/int"
check "stderr says how to continue" contains "$WORK/err" "--resume $WORK/int"

# --- resume: only the rest is run, and the file ends with one line per call
run_cli 0 run --tasks "$T" --models mock:oracle,mock:noisy --repeat 1000 --no-history --resume "$WORK/int"
check "after resume: one line per call" test "$(lines "$WORK/int/results.jsonl")" -eq "$TOTAL"
check "after resume: no duplicates" test "$(distinct_keys "$WORK/int/results.jsonl")" -eq "$TOTAL"
check "after resume: valid" valid_jsonl "$WORK/int/results.jsonl"
check "after resume: results.json complete" test "$(jq '.results | length' "$WORK/int/results.json")" -eq "$TOTAL"
check "after resume: results.json holds the lines of results.jsonl" same_results "$WORK/int"
check "after resume: no temporary files" no_temp_files "$WORK/int"
run_cli 0 run --tasks "$T" --models mock:oracle,mock:noisy --repeat 1000 --no-history --resume "$WORK/int"
check "resuming a complete run runs nothing" contains "$WORK/out" "Nothing left to run"
check "and leaves the file alone" test "$(lines "$WORK/int/results.jsonl")" -eq "$TOTAL"
check "and results.json still holds its lines" same_results "$WORK/int"

# --- a second Ctrl-C exits at once, the file still valid
"$LLMT_BIN" run --tasks "$T" --models mock:oracle,mock:noisy --repeat 1000 --no-history \
    --output "$WORK/int2" >/dev/null 2>&1 &
pid=$!
sleep 0.4
kill -INT "$pid"
kill -INT "$pid"
wait "$pid"
code=$?
check "second Ctrl-C exits 130 (got $code)" test "$code" -eq 130
check "results.jsonl still valid after the second Ctrl-C" valid_jsonl "$WORK/int2/results.jsonl"
check "second Ctrl-C: no temporary files" no_temp_files "$WORK/int2"

# --- SIGTERM behaves like the first Ctrl-C
"$LLMT_BIN" run --tasks "$T" --models mock:oracle,mock:noisy --repeat 1000 --no-history \
    --output "$WORK/term" >/dev/null 2>&1 &
pid=$!
sleep 0.4
kill -TERM "$pid"
wait "$pid"
check "SIGTERM: exit 130 and reports written" test "$?" -eq 130 -a -s "$WORK/term/results.json"
check "SIGTERM: results.json holds the lines of results.jsonl" same_results "$WORK/term"

# --- budget: nothing that could pass it is started
run_cli 3 run --tasks "$T" --models mock:oracle --budget 0 --no-history --output "$WORK/b0"
check "budget 0: every case skipped with class budget" \
    test "$(jq -s '[.[] | select(.error.class == "budget")] | length' "$WORK/b0/results.jsonl")" -eq "$CASES"
# a mock call's worst case is ~$0.0014 (its input and an output bound of four times the
# expected answer's tokens + 512), its real cost ~$0.0003: with $0.0015 only the first
# few fit; budget skips leave cases without an answer: exit 3
run_cli 3 run --tasks "$T" --models mock:oracle --budget 0.0015 --no-history --output "$WORK/b1"
spent=$(jq -s '[.[].usage.cost_usd] | add' "$WORK/b1/results.jsonl")
check "budget 0.0015: spend $spent within it" test "$(jq -n "$spent <= 0.0015")" = true
check "budget 0.03: some ran" test "$(jq -s '[.[] | select(.error == null)] | length' "$WORK/b1/results.jsonl")" -gt 0
check "budget 0.03: some skipped" test "$(jq -s '[.[] | select(.error.class == "budget")] | length' "$WORK/b1/results.jsonl")" -gt 0

# --- dry run: counts and cost range, nothing sent, nothing written
run_cli 0 run --tasks "$T" --models mock:oracle,mock:noisy --repeat 3 --dry-run --output "$WORK/dry"
check "dry run says so" contains "$WORK/out" "Dry run: nothing was sent."
check "dry run counts calls per model" test "$(grep -c "mock:.* $((CASES * 3)) " "$WORK/out")" -eq 2
check "dry run writes nothing" test ! -e "$WORK/dry/results.jsonl"

# --- repeat statistics in results.json, report.md and the console
run_cli 0 run --tasks "$T" --models mock:noisy --repeat 3 --seed 5 --no-history --output "$WORK/rep"
check "repeat_stats: one entry per case × model" test "$(jq '.repeat_stats | length' "$WORK/rep/results.json")" -eq "$CASES"
check "repeat_stats: 3 runs each" test "$(jq '[.repeat_stats[] | .runs == 3] | all' "$WORK/rep/results.json")" = true
check "repeat_stats mean equals the mean of the results" test "$(jq '
    . as $r | [.repeat_stats[] | . as $s |
      ([$r.results[] | select(.task == $s.task and .case == $s.case) | .accuracy] | add / length) as $m |
      (($m - $s.mean_accuracy) | fabs) < 1e-9] | all' "$WORK/rep/results.json")" = true
check "report.md has repeat statistics" contains "$WORK/rep/report.md" "## Repeat statistics"
check "summary has first-attempt validity" test "$(jq '.summary[0] | has("first_attempt_validity")' "$WORK/rep/results.json")" = true
check "results record attempts and answered_by" \
    test "$(jq '[.results[] | (.attempts | length) == 1 and .answered_by == "mock:noisy"] | all' "$WORK/rep/results.json")" = true

# --- no progress line when stderr is not a terminal
check "no progress line when piped" sh -c "! grep -q 'req/s' '$WORK/err'"

# --- flag validation
run_cli 2 run --tasks "$T" --models mock:oracle --concurrency 0
run_cli 2 run --tasks "$T" --models mock:oracle --max-retries -1
run_cli 2 run --tasks "$T" --models mock:oracle --budget -1
run_cli 2 run --tasks "$T" --models mock:oracle --fallback nope:model
check "unknown fallback named" contains "$WORK/err" "nope"
run_cli 2 run --tasks "$T" --models mock:oracle --resume "$WORK/rep" --output "$WORK/other"
run_cli 2 run --tasks "$T" --models mock:oracle --resume "$WORK/nothing-here" --no-history
run_cli 2 run --tasks "$T" --models mock:oracle --provider-limit nope:rpm=1
run_cli 2 run --tasks "$T" --models mock:oracle --provider-limit mock:rpm=x
run_cli 2 run --tasks "$T" --models mock:oracle --provider-limit mock:speed=3
# 240 rpm: a bucket of 4, then one every 250 ms: 8 cases need about a second
t0=$(date +%s%N)
run_cli 0 run --tasks "$T" --models mock:oracle --provider-limit mock:rpm=240 --no-history
t1=$(date +%s%N)
check "--provider-limit rpm paces the calls ($(( (t1 - t0) / 1000000 )) ms)" test $(( (t1 - t0) / 1000000 )) -ge 900
run_cli 0 run --help
check "help lists the engine flags" sh -c "grep -q -- '--concurrency' '$WORK/out' && grep -q -- '--fallback' '$WORK/out' && grep -q -- '--budget' '$WORK/out'"

finish
