# Configuration and tasks that lie (issue 13, item 5): what `config validate` checks,
# stray files beside tasks, byte-order marks, disabled models, default models, the range
# of numeric options, and the upward search for the project config.
. "$(dirname "$0")/lib/common.sh"
cd "$WORK" || exit 1

# a minimal task under $1 named $2 with one case
make_task() {
    mkdir -p "$1/$2/tests/sources" "$1/$2/tests/expected"
    printf '{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}\n' >"$1/$2/schema.json"
    echo 'Name: Ada' >"$1/$2/tests/sources/c1.txt"
    echo '{"name":"Ada"}' >"$1/$2/tests/expected/c1.json"
}

# --- stray folders are not tasks; stray files in sources/ are not cases ---
make_task "$WORK/t" good
mkdir -p "$WORK/t/__pycache__" "$WORK/t/_drafts/tests"
touch "$WORK/t/__pycache__/x.pyc"
echo 'notes' >"$WORK/t/good/tests/sources/README.md"
run_cli 0 run --tasks "$WORK/t" --models mock:oracle --no-history
check "__pycache__ is not a task" sh -c "! grep -q pycache '$WORK/err'"
check "_drafts is not a task" sh -c "! grep -q _drafts '$WORK/err'"
run_cli 0 list --tasks "$WORK/t"
check "list shows one case of good" contains "$WORK/out" "good"
check "README.md is not a case" sh -c "! grep -q README '$WORK/out'"

# --- a UTF-8 byte-order mark in JSON files is accepted ---
make_task "$WORK/bom" t
printf '\357\273\277{"type":"object","properties":{"name":{"type":"string"}}}\n' >"$WORK/bom/t/schema.json"
printf '\357\273\277{"name":"Ada"}\n' >"$WORK/bom/t/tests/expected/c1.json"
printf '\357\273\277{"config_version":2}\n' >"$WORK/bom/llm-tester.json"
run_cli 0 run --tasks "$WORK/bom" --models mock:oracle --no-history --output "$WORK/bom-out"
check "BOM: oracle scores 100" test "$(jq '.results[0].accuracy' "$WORK/bom-out/results.json")" = 100
run_cli 0 config validate --config "$WORK/bom/llm-tester.json"
run_cli 0 score "$WORK/bom/t/tests/expected/c1.json" "$WORK/bom/t/tests/expected/c1.json" --schema "$WORK/bom/t/schema.json"

# --- a project file and .env above the project do not leak in when a ceiling is set ---
mkdir -p "$WORK/up/proj"
make_task "$WORK/up/proj" t
printf '{"config_version":2,"providers":{"mock":{"enabled":false}}}\n' >"$WORK/up/llm-tester.json"
echo 'OPENAI_API_KEY=sk-planted-above-0000' >"$WORK/up/.env"
(cd "$WORK/up/proj" && LLMT_CEILING_DIRS="$WORK/up" "$LLMT_BIN" run --tasks t --models mock:oracle --no-history) >"$WORK/out" 2>"$WORK/err"
check "a ceiling keeps the planted llm-tester.json out" test $? -eq 0
(cd "$WORK/up/proj" && LLMT_CEILING_DIRS="$WORK/up" "$LLMT_BIN" config show) >"$WORK/out" 2>"$WORK/err"
check "config show: no project config below the ceiling" contains "$WORK/out" "project config: (none"
check "config show: the planted key is not used" sh -c "! grep -q 'sk-...0000' '$WORK/out'"
# and without the ceiling the planted file is what the search finds (so the test means something)
(cd "$WORK/up/proj" && LLMT_CEILING_DIRS= "$LLMT_BIN" run --tasks t --models mock:oracle --no-history) >"$WORK/out" 2>"$WORK/err"
check "without a ceiling the parent's config applies" test $? -eq 2
# the suite itself runs with a ceiling above the checkout and the temporary folder
check "ctest sets LLMT_CEILING_DIRS" test -n "${LLMT_CEILING_DIRS:-}"

# --- every numeric option is range-checked ---
make_task "$WORK/rng" t
R="$WORK/rng"
for bad in "cache clear --older-than -5" "cache clear --older-than abc" \
    "run --tasks $R --models mock:oracle --no-history --min-accuracy 101" \
    "run --tasks $R --models mock:oracle --no-history --min-accuracy -1" \
    "run --tasks $R --models mock:oracle --no-history --min-accuracy nan" \
    "run --tasks $R --models mock:oracle --no-history --seed -5" \
    "run --tasks $R --models mock:oracle --no-history --seed 1x" \
    "run --tasks $R --models mock:oracle --no-history --timeout 0" \
    "run --tasks $R --models mock:oracle --no-history --timeout -1" \
    "run --tasks $R --models mock:oracle --no-history --connect-timeout 0" \
    "run --tasks $R --models mock:oracle --no-history --retry-max-time inf" \
    "history list --limit -1" "prices list --max-cost -1" "prices list --min-context -3"; do
    # shellcheck disable=SC2086
    run_cli 2 $bad || true
    check "$bad: the option is named" grep -q -- "--[a-z]" "$WORK/err"
done
run_cli 2 run --tasks "$R" --models mock:oracle --format ''
check "--format '' explained" contains "$WORK/err" "at least one format"
mkdir -p "$WORK/cachedir" && echo x >"$WORK/cachedir/keep"
run_cli 2 cache clear --older-than -5 --db "$WORK/cachedir/cache.db"
check "--older-than -5 named" contains "$WORK/err" "--older-than"
run_cli 0 run --tasks "$R" --models mock:oracle --min-accuracy 100 --seed 3 --timeout 30 --no-history

# --- a disabled model is refused like a disabled provider, with the command that fixes it ---
mkdir -p "$WORK/dis" && make_task "$WORK/dis" t
(cd "$WORK/dis" && "$LLMT_BIN" models edit mock noisy --enabled no) >/dev/null 2>&1
(cd "$WORK/dis" && "$LLMT_BIN" run --tasks t --models mock:noisy --no-history) >"$WORK/out" 2>"$WORK/err"
check "disabled model: exit 2" test $? -eq 2
check "disabled model: the re-enable command" contains "$WORK/err" "llm-tester models edit mock noisy --enabled yes"
(cd "$WORK/dis" && "$LLMT_BIN" run --tasks t --models mock:oracle --fallback mock:noisy --no-history) >"$WORK/out" 2>"$WORK/err"
check "disabled fallback: exit 2" test $? -eq 2
(cd "$WORK/dis" && "$LLMT_BIN" providers disable mock) >/dev/null 2>&1
(cd "$WORK/dis" && "$LLMT_BIN" run --tasks t --models mock:oracle --no-history) >"$WORK/out" 2>"$WORK/err"
check "disabled provider: the enable command" contains "$WORK/err" "llm-tester providers enable mock"

# --- default models: llm-tester.json "models", else each provider with a key; "P" = P's default ---
mkdir -p "$WORK/dm" && make_task "$WORK/dm" t
(cd "$WORK/dm" && env -u OPENAI_API_KEY -u ANTHROPIC_API_KEY -u GEMINI_API_KEY -u MISTRAL_API_KEY -u OPENROUTER_API_KEY \
    "$LLMT_BIN" run --tasks t --no-history) >"$WORK/out" 2>"$WORK/err"
check "no models, no keys: exit 2" test $? -eq 2
check "no models: explained" contains "$WORK/err" "API key is set"
echo 'OPENAI_API_KEY=sk-test-dotenv-1234' >"$WORK/dm/.env"
echo '{"config_version":2}' >"$WORK/dm/llm-tester.json"
(cd "$WORK/dm" && env -u OPENAI_API_KEY -u ANTHROPIC_API_KEY -u GEMINI_API_KEY -u MISTRAL_API_KEY -u OPENROUTER_API_KEY \
    "$LLMT_BIN" run --tasks t --dry-run) >"$WORK/out" 2>"$WORK/err"
check "no models: the keyed provider's default runs" contains "$WORK/out" "openai:gpt-4.1-mini"
check "no models: keyless providers are not implied" sh -c "! grep -q 'mock:\|ollama:' '$WORK/out'"
(cd "$WORK/dm" && env -u OPENAI_API_KEY -u ANTHROPIC_API_KEY -u GEMINI_API_KEY -u MISTRAL_API_KEY -u OPENROUTER_API_KEY \
    "$LLMT_BIN" list --tasks t) >"$WORK/out" 2>"$WORK/err"
check "list shows the same default" contains "$WORK/out" "openai:gpt-4.1-mini"
run_cli 0 run --tasks "$WORK/dm/t" --models openai --dry-run
check "--models openai is openai's default model" contains "$WORK/out" "openai:gpt-4.1-mini"
run_cli 0 run --tasks "$WORK/dm/t" --models mock --no-history
check "--models mock runs mock's default" contains "$WORK/out" "mock:oracle"
printf '{"config_version":2,"models":["mock:noisy"]}\n' >"$WORK/dm/llm-tester.json"
(cd "$WORK/dm" && "$LLMT_BIN" run --tasks t --no-history) >"$WORK/out" 2>"$WORK/err"
check "project models win over keyed providers" sh -c "grep -q 'mock:noisy' '$WORK/out' && ! grep -q 'openai:' '$WORK/out'"

# --- list prints each task's description ---
printf '{"description":"People named in a line of text"}\n' >"$WORK/dm/t/task.json"
run_cli 0 list --tasks "$WORK/dm/t" --models mock:oracle
check "list shows the description" contains "$WORK/out" "People named in a line of text"

# --- unknown keys in llm-tester.json are reported by run without -v ---
printf '{"config_version":2,"models":["mock:oracle"],"run":{"concurency":4}}\n' >"$WORK/dm/llm-tester.json"
(cd "$WORK/dm" && "$LLMT_BIN" run --tasks t --no-history) >"$WORK/out" 2>"$WORK/err"
check "unknown key: run still runs" test $? -eq 0
check "unknown key: named on stderr" contains "$WORK/err" "unknown key 'concurency' (did you mean 'concurrency'?)"
check "unknown key: once" test "$(grep -c concurency "$WORK/err")" -eq 1

# --- config validate checks what run refuses ---
V="$WORK/val"
make_task "$V/tasks" good
make_task "$V/tasks" badschema
echo '{"type":"object","properties":{"name":{"type":"strin"}}}' >"$V/tasks/badschema/schema.json"
make_task "$V/tasks" badexp
echo '{"name": ' >"$V/tasks/badexp/tests/expected/c1.json"
make_task "$V/tasks" offschema
echo '{"name": 42}' >"$V/tasks/offschema/tests/expected/c1.json"
make_task "$V/tasks" strayprompt
mkdir -p "$V/tasks/strayprompt/tests/prompts"
echo 'Extract.' >"$V/tasks/strayprompt/tests/prompts/c2.txt"
printf '{"config_version":2,"tasks_dir":"tasks","tasks":{"goood":{"models":["mock:oracle"]}}}\n' >"$V/llm-tester.json"
(cd "$V" && "$LLMT_BIN" config validate) >"$WORK/out" 2>"$WORK/err"
check "validate: exit 2" test $? -eq 2
check "validate: schema that does not compile" contains "$WORK/err" "badschema/schema.json"
check "validate: expected answer that is not JSON" contains "$WORK/err" "badexp/tests/expected/c1.json"
check "validate: expected answer off its schema is a warning" grep -q "warning.*offschema/tests/expected/c1.json\|offschema/tests/expected/c1.json: warning" "$WORK/err"
check "validate: prompt without a case" contains "$WORK/err" "strayprompt/tests/prompts/c2.txt"
check "validate: task entry naming no task" contains "$WORK/err" "no task 'goood'"
check "validate: the good task is not blamed" sh -c "! grep -q '/good/' '$WORK/err'"
# a named file is checked as what it is
run_cli 0 config validate "$V/tasks/good/schema.json"
run_cli 2 config validate "$V/tasks/badschema/schema.json"
check "validate FILE: a schema is not a project config" sh -c "! grep -q config_version '$WORK/err'"
cp "$V/tasks/badschema/schema.json" "$WORK/person.json"
run_cli 2 config validate "$WORK/person.json"
check "validate FILE: a schema by content" sh -c "! grep -q config_version '$WORK/err'"
run_cli 0 config validate "$V/tasks/offschema/tests/expected/c1.json"
check "validate FILE: expected answer checked against its schema" contains "$WORK/err" "schema.json"
run_cli 2 config validate "$V/tasks/badexp/tests/expected/c1.json"

# --- config migrate --write of a version-1 provider file whose default clashes with the shipped one ---
M="$WORK/mig"
mkdir -p "$M/providers" && make_task "$M" t
echo '{"config_version":2}' >"$M/llm-tester.json"
echo '{"name":"mock","provider_type":"mock","env_key":"","models":[{"name":"noisy","default":true,"cost_input":0.1,"cost_output":0.2}]}' >"$M/providers/mock.json"
(cd "$M" && "$LLMT_BIN" config migrate --write) >"$WORK/out" 2>"$WORK/err"
check "migrate --write: exit 0" test $? -eq 0
(cd "$M" && "$LLMT_BIN" models list mock --json) >"$WORK/out" 2>"$WORK/err"
check "migrated project works" test $? -eq 0
check "the override's default wins" test "$(jq -c '[.[] | select(.default) | .name]' "$WORK/out")" = '["noisy"]'
(cd "$M" && "$LLMT_BIN" run --tasks t --models mock --no-history) >"$WORK/out" 2>"$WORK/err"
check "--models mock runs the new default" contains "$WORK/out" "mock:noisy"
(cd "$M" && "$LLMT_BIN" config validate) >"$WORK/out" 2>"$WORK/err"
check "migrated project validates" test $? -eq 0
# two defaults inside one override stay an error
echo '{"config_version":2,"llm_models":[{"name":"noisy","default":true},{"name":"oracle","default":true}]}' >"$M/providers/mock.json"
(cd "$M" && "$LLMT_BIN" models list mock) >"$WORK/out" 2>"$WORK/err"
check "two defaults in one override: exit 2" test $? -eq 2

# --- the settings table: project defaults merged by run, ranges and help from one row ---
S="$WORK/set"
mkdir -p "$S" && make_task "$S" t
printf '{"config_version":2,"run":{"repeat":2,"retry_max_time_ms":60000,"formats":["csv"]}}\n' >"$S/llm-tester.json"
(cd "$S" && "$LLMT_BIN" run --tasks t --models mock:oracle --no-history --output out) >"$WORK/out" 2>"$WORK/err"
check "project run.repeat applies" test "$(wc -l <"$S/out/results.jsonl")" -eq 2
check "project run.formats applies" test -f "$S/out/results.csv"
(cd "$S" && "$LLMT_BIN" config show) >"$WORK/out" 2>"$WORK/err"
check "config show lists every table row" contains "$WORK/out" "run.retry_max_time_ms"
run_cli 2 run --tasks "$S/t" --models mock:oracle --concurrency 0 --no-history
check "--concurrency range from the table" contains "$WORK/err" "--concurrency must be a whole number between 1 and 10000, got 0"
run_cli 2 run --tasks "$S/t" --models mock:oracle --repeat 2.5 --no-history
run_cli 0 run --help
check "--help names the project key" contains "$WORK/out" "llm-tester.json: run.concurrency"

finish
