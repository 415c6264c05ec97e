#!/bin/sh
# Configuration commands end to end: providers enable|disable, models add|edit|remove|
# set-default (success, and failure with the file untouched), config show / validate /
# migrate (with .bak and round trip), prices list. Runs in a scratch project folder.
set -u
BIN=${LLMT_BIN:?}
SRC=${LLMT_SOURCE_DIR:?}
FIX="$SRC/tests/fixtures/config"
. "$(dirname "$0")/lib/common.sh"
W=$WORK
cd "$W" || exit 1
T() { "$BIN" "$@" >out 2>err; echo $? >rc; }
rc() { cat rc; }

# --- models: first write creates llm-tester.json and providers/mock.json ---
T models add mock cheap --cost-input 0.05 --cost-output 0.2 --cost-category cheap --max-input-tokens 8000
check "add succeeds" test "$(rc)" = 0
check "project config created" test -f llm-tester.json
check "override created" grep -q '"name": "cheap"' providers/mock.json
check "override trailing newline" sh -c 'tail -c1 providers/mock.json | od -c | grep -q "\\\\n"'
cp providers/mock.json before.json

T models add mock cheap
check "duplicate add fails (exit 2)" test "$(rc)" = 2
check "duplicate add names the model" grep -q "already exists" err
check "duplicate add leaves file untouched" cmp -s before.json providers/mock.json

T models edit mock nope --cost-input 1
check "edit unknown model fails" test "$(rc)" = 2
check "edit unknown model untouched" cmp -s before.json providers/mock.json

T models edit mock cheap --cost-input abc
check "bad number fails" test "$(rc)" = 2
check "bad number message" grep -q "expects a number" err
check "bad number untouched" cmp -s before.json providers/mock.json

T models edit mock cheap --cost-input -3
check "negative cost fails" test "$(rc)" = 2
check "negative cost untouched" cmp -s before.json providers/mock.json

T models edit mock cheap --cost-category pricey
check "bad category fails" test "$(rc)" = 2
check "bad category names file and path" grep -q "providers/mock.json: /llm_models/0/cost_category" err
check "bad category untouched" cmp -s before.json providers/mock.json

T models remove mock nope
check "remove unknown fails" test "$(rc)" = 2
check "remove unknown untouched" cmp -s before.json providers/mock.json

T models set-default mock nope
check "set-default unknown fails" test "$(rc)" = 2

T models edit mock oracle --cost-input 0.2 --enabled yes
check "edit shipped model" test "$(rc)" = 0
T models list mock --json
check "edit visible" sh -c "grep -A12 '\"name\": \"oracle\"' out | grep -q '\"cost_input\": 0.2'"

T models set-default mock cheap
check "set-default succeeds" test "$(rc)" = 0
T models list mock --json
check "exactly one default" test "$(grep -c '"default": true' out)" = 1
check "the new default" sh -c "grep -A2 '\"name\": \"cheap\"' out | grep -q '\"default\": true'"
T models set-default mock noisy
T models list mock --json
check "still exactly one default" test "$(grep -c '"default": true' out)" = 1

T models list mock
check "list says where settings came from" grep -q "providers/mock.json (over src/providers/mock/config.json)" out
check "list names shipped origin" sh -c "grep '^rules ' out | grep -q 'src/providers/mock/config.json'"

T models remove mock rules
check "remove shipped model" test "$(rc)" = 0
check "removed marker" grep -q '"removed": true' providers/mock.json
T models list mock
check "removed model hidden" sh -c "! grep -q '^rules ' out"
T models add mock rules --cost-input 0.1 --cost-output 0.1
check "re-add removed model" test "$(rc)" = 0
T models remove mock cheap
check "remove project-only model" sh -c "! grep -q '\"cheap\"' providers/mock.json"

# --- providers enable|disable ---
T providers disable mock
check "disable" test "$(rc)" = 0
check "disable written" grep -q '"enabled": false' llm-tester.json
T providers list
check "list shows disabled" sh -c "grep '^mock ' out | grep -q ' no '"
T run --tasks "$SRC/examples/tasks" --models mock:oracle
check "disabled provider refused" test "$(rc)" = 2
cp llm-tester.json proj.before
T providers disable nope
check "disable unknown fails" test "$(rc)" = 2
check "disable unknown leaves llm-tester.json untouched" cmp -s proj.before llm-tester.json
T providers enable mock
check "enable" grep -q '"enabled": true' llm-tester.json

# --- config show / validate ---
T config show
check "show project origin" sh -c "grep '^providers.mock.enabled' out | grep -q 'llm-tester.json'"
check "show default origin" sh -c "grep '^run.concurrency' out | grep -q '\\[default\\]'"
check "show override origin" sh -c "grep '^models.mock:oracle.cost_input' out | grep -q 'providers/mock.json'"
check "show shipped origin" sh -c "grep '^models.mock:oracle.cost_output' out | grep -q 'src/providers/mock/config.json'"
T config show --seed 7
check "show command-line origin" sh -c "grep '^run.seed' out | grep -q 'command line'"
LLMT_MOCK_BASE_URL=http://127.0.0.1:9 "$BIN" config show >out 2>err
check "show environment origin" sh -c "grep '^providers.mock.base_url' out | grep -q 'LLMT_MOCK_BASE_URL'"
T config show --json
check "show --json" sh -c "grep -q '\"from\": \"default\"' out"
T config validate
check "validate ok" test "$(rc)" = 0
printf '{"config_version": 2, "run": {"concurency": 2, "repeat": "x"}}\n' > llm-tester.json
T config validate
check "validate error exit 2" test "$(rc)" = 2
check "validate names path and type" grep -q "llm-tester.json: /run/repeat: expected integer, got string" err
check "validate did-you-mean" grep -q "did you mean 'concurrency'" err
T models list mock
check "commands refuse an invalid project config" test "$(rc)" = 2
cp llm-tester.json proj.before
T providers disable mock
check "an invalid project config blocks writes" test "$(rc)" = 2
check "invalid project config untouched" cmp -s proj.before llm-tester.json
printf '{"config_version": 2}\n' > llm-tester.json
printf '{"config_version": 2, "llm_models": [{"name": "oracle", "cost_input": "free"}]}\n' > providers/mock.json
T config validate
check "validate covers overrides" grep -q "providers/mock.json: /llm_models/0/cost_input: expected number, got string" err
rm providers/mock.json
mkdir -p pl/broken && printf '{}\n' > pl/broken/config.json
LLMT_PLUGIN_PATH=pl "$BIN" config validate >out 2>err; echo $? >rc
check "validate reports a refused plugin" test "$(rc)" = 2
check "refused plugin named" grep -q "plugin 'broken' refused" err
rm -r pl
# mock rules: a task's mock_rules.json, and a rules file named on the command line
"$BIN" scaffold task rt --dir tasks >/dev/null 2>&1
printf '{"config_version": 2, "tasks_dir": "tasks"}\n' > llm-tester.json
T config validate
files_before=$(sed -n 's/^OK: \([0-9]*\) file.*/\1/p' out)
printf '{"rules": [{"regex": "^a+$", "in": "source", "reply": {"v": 1}}], "default": "{}"}\n' > tasks/rt/mock_rules.json
T config validate
check "validate accepts good task rules" test "$(rc)" = 0
check "task rules are checked" test "$(sed -n 's/^OK: \([0-9]*\) file.*/\1/p' out)" = "$((files_before + 1))"
printf '{"rules": [{"reply": "x", "probabilty": 0.5}, {"regex": "(", "reply": "y"}], "latency": 5}\n' > tasks/rt/mock_rules.json
T config validate
check "broken task rules: exit 2" test "$(rc)" = 2
check "broken task rules: unknown field named" grep -q "tasks/rt/mock_rules.json: /rules/0/probabilty: unknown field (did you mean 'probability'?)" err
check "broken task rules: bad regex named" grep -q "tasks/rt/mock_rules.json: /rules/1/regex: invalid regular expression" err
check "broken task rules: every problem" grep -q "tasks/rt/mock_rules.json: /latency: expected an object, got number" err
check "broken task rules: counted" grep -q "3 error(s)" err
T config validate tasks/rt/mock_rules.json
check "named task rules: exit 2" test "$(rc)" = 2
check "named task rules: bad regex named" grep -q "tasks/rt/mock_rules.json: /rules/1/regex: invalid regular expression" err
printf '[{"rules": []}]\n' > tasks/rt/mock_rules.json
T config validate tasks/rt/mock_rules.json
check "non-object rules: exit 2" test "$(rc)" = 2
check "non-object rules: named" grep -q "tasks/rt/mock_rules.json: expected an object at the top level, got array" err
: > tasks/rt/mock_rules.json
T config validate
check "empty task rules: exit 2" test "$(rc)" = 2
check "empty task rules: named" grep -q "tasks/rt/mock_rules.json: invalid JSON" err
rm -r tasks/rt
printf '{"config_version": 2}\n' > llm-tester.json
printf '{"errors": [{"error": {"class": "rate_limit"}, "every": 3}], "latency": {"fixed_ms": 5}}\n' > my-rules.json
T config validate my-rules.json
check "a rules file by content: ok" test "$(rc)" = 0
check "a rules file by content: no warnings" test ! -s err
printf '{"rules": [{"regex": "(", "reply": "x"}]}\n' > my-rules.json
T config validate my-rules.json
check "a rules file by content: bad regex exit 2" test "$(rc)" = 2
check "a rules file by content: bad regex named" grep -q "my-rules.json: /rules/0/regex: invalid regular expression" err
T run --tasks "$SRC/examples/tasks" --models mock:rules --mock-rules my-rules.json
check "run refuses the file validate refuses" grep -q "my-rules.json: /rules/0/regex: invalid regular expression" err
rm my-rules.json

# --- migrate ---
mkdir old && cp "$FIX/pyllm_config.json" old/ && cd old
T config migrate
check "migrate shows" test "$(rc)" = 0
check "migrate output is the golden" cmp -s out "$FIX/pyllm_config.migrated.json"
check "migrate without --write changes nothing" cmp -s pyllm_config.json "$FIX/pyllm_config.json"
T config migrate --write
check "migrate --write" test "$(rc)" = 0
check "bak kept" cmp -s pyllm_config.json.bak "$FIX/pyllm_config.json"
check "llm-tester.json written" cmp -s llm-tester.json "$FIX/pyllm_config.migrated.json"
check "old file gone" test ! -f pyllm_config.json
cp llm-tester.json current.json
mkdir legacy && cp "$FIX/pyllm_config.json" legacy/
(cd legacy && "$BIN" models add mock x --cost-input 1 --cost-output 1 >../out 2>../err; echo $? >../rc)
check "no writes beside a version-1 project file" test "$(rc)" = 2
check "says to migrate first" grep -q "config migrate --write" err
check "nothing created beside it" test ! -e legacy/providers -a ! -e legacy/llm-tester.json
T config migrate --write
check "round trip: current file untouched" cmp -s llm-tester.json current.json
check "round trip: no new bak" test ! -f llm-tester.json.bak
check "round trip message" grep -q "already at version 2" err
T config migrate "$FIX/provider_v1.json"
check "provider v1 migrates" grep -q '"catalog_id": "acme/acme-small-2024"' out
check "provider v1 gets a version" grep -q '"config_version": 2' out
cd ..

# --- run takes its defaults from the project config ---
mkdir runproj && cd runproj
printf '{"config_version": 2, "tasks_dir": "%s/examples/tasks", "models": ["mock:oracle"], "output_dir": "res", "run": {"formats": ["csv"]}}\n' "$SRC" > llm-tester.json
T run --no-history
check "run with project defaults" test "$(rc)" = 0
check "output_dir and formats from the project" test -f res/results.csv
printf '{"config_version": 2, "tasks_dir": "%s/examples/tasks", "models": ["mock:oracle"], "run": {"budget_usd": 0}}\n' "$SRC" > llm-tester.json
T run --no-history
check "budget from the project stops spending" sh -c "grep -q 'Total cost: \\\$0.000000' out"
T run --no-history --budget 100
check "command line beats the project" sh -c "! grep -q 'Total cost: \\\$0.000000' out"
cd ..

# --- prices ---
T prices list
check "prices list" sh -c "grep -q '^mock:oracle' out && grep -q 'CONTEXT' out"
T prices list --max-cost 0.1
check "max-cost filters" sh -c "! grep -q '^mock:oracle' out"
T prices list --match 'nois' --json
check "match + json" sh -c "grep -q '\"model\": \"noisy\"' out && ! grep -q '\"model\": \"oracle\"' out"
T prices list --sort bogus
check "bad sort" test "$(rc)" = 2
T prices list --match '('
check "bad regex" test "$(rc)" = 2
T prices list --provider nope
check "unknown provider" test "$(rc)" = 2

finish
