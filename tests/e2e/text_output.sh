# Text a user reads (issue 13, item 6): the run table (model names never cut alike,
# columns aligned with non-ASCII names, rows in task/case order), --help texts.
. "$(dirname "$0")/lib/common.sh"
cd "$WORK" || exit 1

# column (in characters on screen) where TEXT starts on each line of FILE that has it
cols_of() {
    python3 -c '
import sys
for line in open(sys.argv[1], encoding="utf-8"):
    i = line.find(sys.argv[2])
    if i >= 0:
        import unicodedata
        w = sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in line[:i])
        print(w)' "$1" "$2" | sort -u
}

# --- two long model names that differ only at the end stay distinct ---
mkdir -p proj/t/tests/sources proj/t/tests/expected
echo '{"type":"object","properties":{"name":{"type":"string"}}}' >proj/t/schema.json
echo 'Name: Ada' >proj/t/tests/sources/c1.txt
echo '{"name":"Ada"}' >proj/t/tests/expected/c1.json
cd proj || exit 1
"$LLMT_BIN" models add mock very-long-extraction-model-name-preview-2024-08-06 --cost-input 0.1 --cost-output 0.1 >/dev/null 2>&1
"$LLMT_BIN" models add mock very-long-extraction-model-name-preview-2024-11-20 --cost-input 0.1 --cost-output 0.1 >/dev/null 2>&1
run_cli 0 run --tasks t --models mock:very-long-extraction-model-name-preview-2024-08-06,mock:very-long-extraction-model-name-preview-2024-11-20 --no-history
check "first long model name whole" contains "$WORK/out" "mock:very-long-extraction-model-name-preview-2024-08-06"
check "second long model name whole" contains "$WORK/out" "mock:very-long-extraction-model-name-preview-2024-11-20"
check "summary rows differ" test "$(grep -c 'preview-2024-' "$WORK/out")" -eq 4
check "accuracy column aligned" test "$(cols_of "$WORK/out" "%" | grep -c .)" -le 2
cd "$WORK" || exit 1

# --- non-ASCII case names: the columns after them stay aligned ---
mkdir -p u/t/tests/sources u/t/tests/expected
echo '{"type":"object","properties":{"name":{"type":"string"}}}' >u/t/schema.json
for c in plain zürich_straße 東京の住所 e_accent_é; do
    echo 'Name: Ada' >"u/t/tests/sources/$c.txt"
    echo '{"name":"Ada"}' >"u/t/tests/expected/$c.json"
done
run_cli 0 run --tasks u --models mock:oracle --no-history
grep '^t ' "$WORK/out" >"$WORK/rows"
check "model column aligned after non-ASCII names" test "$(cols_of "$WORK/rows" "mock:oracle" | grep -c .)" -eq 1
check "accuracy column aligned after non-ASCII names" test "$(cols_of "$WORK/rows" "100.00%" | grep -c .)" -eq 1
check "four rows" test "$(grep -c 'mock:oracle  ' "$WORK/out")" -ge 4

# --- rows in task/case order, not in the order the answers came back ---
mkdir -p o
for t in a_slow b_fast; do
    mkdir -p "o/$t/tests/sources" "o/$t/tests/expected"
    echo '{"type":"object","properties":{"name":{"type":"string"}}}' >"o/$t/schema.json"
    for c in c1 c2 c3; do
        echo 'Name: Ada' >"o/$t/tests/sources/$c.txt"
        echo '{"name":"Ada"}' >"o/$t/tests/expected/$c.json"
    done
done
echo '{"latency": {"fixed_ms": 1500}}' >o/a_slow/mock_rules.json
echo '{"latency": {"fixed_ms": 0}}' >o/b_fast/mock_rules.json
run_cli 0 run --tasks o --models mock:oracle --no-history --concurrency 8 --output "$WORK/o-out"
grep -E '^(a_slow|b_fast) ' "$WORK/out" | awk '{print $1 "/" $2}' >"$WORK/order"
printf 'a_slow/c1\na_slow/c2\na_slow/c3\nb_fast/c1\nb_fast/c2\nb_fast/c3\n' >"$WORK/want"
check "rows in task/case order" cmp -s "$WORK/order" "$WORK/want"
check "the fast task did finish first" test "$(head -1 "$WORK/o-out/results.jsonl" | jq -r .task)" = b_fast

# --- history show: label and seed; a label names a run ---
H="$WORK/h.db"
run_cli 0 run --tasks "$WORK/u" --models mock:noisy --seed 17 --label prompt-v2 --history "$H"
run_cli 0 run --tasks "$WORK/u" --models mock:oracle --history "$H"
run_cli 0 history show prompt-v2 --db "$H"
check "show by label: the labelled run" contains "$WORK/out" "mock:noisy"
check "show prints the label" contains "$WORK/out" "prompt-v2"
check "show prints the seed" grep -q "seed: *17" "$WORK/out"
run_cli 0 history show latest --db "$H" --json
check "show --json: label null, seed" test "$(jq -c '[.label, .seed]' "$WORK/out")" = '[null,"0"]'
run_cli 0 history compare prompt-v2 latest --db "$H"
run_cli 2 history show no-such-label --db "$H"

# --- --help texts ---
run_cli 0 run --help
check "--fallback says repeatable once" test "$(grep -- '--fallback' "$WORK/out" | grep -o repeatable | wc -l)" -eq 1
check "--dry-run says what it prints" sh -c "grep -- '--dry-run' '$WORK/out' | grep -q 'cost range'"
check "-q says what it does" sh -c "grep -- '--quiet' '$WORK/out' | grep -q 'progress line'"
check "run --help documents exit 130" contains "$WORK/out" "130"
# --dry-run warns about a missing API key of a model it would call
(cd "$WORK" && env -u OPENAI_API_KEY "$LLMT_BIN" run --tasks u --models openai:gpt-4.1-mini --dry-run) >"$WORK/out" 2>"$WORK/err"
check "dry run: exit 0" test $? -eq 0
check "dry run: missing key warned" contains "$WORK/err" "no API key for openai:gpt-4.1-mini: set OPENAI_API_KEY"
(cd "$WORK" && OPENAI_API_KEY=sk-test-0000000000001 "$LLMT_BIN" run --tasks u --models openai:gpt-4.1-mini --dry-run) >"$WORK/out" 2>"$WORK/err"
check "dry run: no warning with a key" sh -c "! grep -q 'no API key' '$WORK/err'"
check "dry run: the key is not printed" sh -c "! grep -q 'sk-test' '$WORK/out' '$WORK/err'"

# --- the man page covers every command of --help, and exit status 130 ---
MAN="$LLMT_SOURCE_DIR/docs/man/llm-tester.1"
"$LLMT_BIN" --help | awk '/^Commands:/{on=1; next} on && /^  [a-z]/{print $1} on && /^$/{on=0}' >"$WORK/cmds"
check "command list read from --help" test "$(wc -l <"$WORK/cmds")" -ge 15
while read -r c; do
    check "man page covers '$c'" grep -q "^\.B $c\( \|$\)" "$MAN"
done <"$WORK/cmds"
for sub in "config show" "config migrate" "providers enable" "models add" "costs update" "cache stats"; do
    check "man page covers '$sub'" sh -c "sed 's/\\\\f[BRI]//g' '$MAN' | grep -q '$sub'"
done
check "man page: exit 130" grep -q '^\.B 130' "$MAN"

finish
