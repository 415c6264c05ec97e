#!/bin/sh
# `init`: an empty folder becomes a project that runs at once with `run --models
# mock:oracle` and nothing else; default models follow the keys present; nothing is
# ever overwritten.
set -u
. "$LLMT_SOURCE_DIR/tests/e2e/lib/common.sh"
unset ANTHROPIC_API_KEY GEMINI_API_KEY MISTRAL_API_KEY OPENAI_API_KEY OPENROUTER_API_KEY
mkdir "$WORK/p" && cd "$WORK/p" || exit 1

run_cli 0 init
check "project file at the current config_version" sh -c 'tr -d " \n" <llm-tester.json | grep -q "\"config_version\":2,\"tasks_dir\":\"tasks\",\"output_dir\":\"out\",\"models\":\[\"mock:oracle\"\]"'
check "example task" test -f tasks/example/schema.json -a -f tasks/example/tests/expected/example.json
check "output folder" test -d out
check ".gitignore keeps .env out" grep -qx ".env" .gitignore
check ".gitignore keeps .llm-tester/ out" grep -qx ".llm-tester/" .gitignore
run_cli 0 config validate
run_cli 0 run --models mock:oracle
check "example task at 100 %" grep -Eq "example +example +mock:oracle +100\.00%" "$WORK/out"
check "results in the output folder" test -f out/results.jsonl
# the output folder holds a run now: a second one into it says so, --overwrite replaces it
run_cli 2 run
check "a second run into the same folder is refused" contains "$WORK/err" "--overwrite"
run_cli 0 run --overwrite
check "plain run uses the default models" grep -q "mock:oracle" "$WORK/out"

# never overwrites, names what exists
cp llm-tester.json keep.json
run_cli 2 init
check "names the existing project file" contains "$WORK/err" "llm-tester.json already exists"
check "names the existing tasks folder" contains "$WORK/err" "tasks already exists"
check "file untouched" cmp -s keep.json llm-tester.json
mkdir "$WORK/q" && cd "$WORK/q" && echo "node_modules/" >.gitignore
run_cli 2 init
check "an existing .gitignore is named" contains "$WORK/err" ".gitignore already exists"
check "nothing written" test ! -e llm-tester.json -a ! -e tasks

# a key present: that provider's default model instead of the mock
mkdir "$WORK/r" && cd "$WORK/r" || exit 1
OPENAI_API_KEY=sk-test-not-a-real-key-1234 "$LLMT_BIN" init >o 2>e
check "init with a key: exit 0" test $? -eq 0
check "keyed provider's default model" sh -c 'grep -q "\"openai:" llm-tester.json && ! grep -q "mock:oracle" llm-tester.json'
check "the key is not written" sh -c '! grep -rq "sk-test-not-a-real-key" . '
finish
