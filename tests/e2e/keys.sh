#!/bin/sh
# `keys`: values typed on a terminal are not echoed (checked through a pty), piped values
# are read from stdin; .env is created 0600, a readable one is warned about; values are
# never printed, only redacted; `keys set` alone offers each enabled provider's
# variable; the environment wins over .env.
set -u
. "$LLMT_SOURCE_DIR/tests/e2e/lib/common.sh"
unset ANTHROPIC_API_KEY GEMINI_API_KEY MISTRAL_API_KEY OPENAI_API_KEY OPENROUTER_API_KEY
mkdir "$WORK/p" && cd "$WORK/p" || exit 1
printf '{"config_version": 2}\n' >llm-tester.json
mode() { stat -c %a "$1"; }

# a terminal: no echo
python3 "$LLMT_SOURCE_DIR/tests/e2e/lib/pty_keys.py" "$LLMT_BIN" OPENAI_API_KEY sk-typed-secret-value-9876 >tty.out 2>&1
check "pty: exit 0" test $? -eq 0
check "pty: prompt shown" contains tty.out "OPENAI_API_KEY (input hidden"
check "pty: the typed value is not echoed" sh -c '! grep -q "typed-secret" tty.out'
check "pty: value saved" grep -qx "OPENAI_API_KEY=sk-typed-secret-value-9876" .env
check ".env created with mode 0600" test "$(mode .env)" = 600

# a pipe
printf 'sk-ant-piped-value-5555\n' | "$LLMT_BIN" keys set ANTHROPIC_API_KEY >o 2>e
check "pipe: exit 0" test $? -eq 0
check "pipe: value saved" grep -qx "ANTHROPIC_API_KEY=sk-ant-piped-value-5555" .env
check "pipe: value never printed" sh -c '! grep -q "piped-value" o e'
check "still 0600" test "$(mode .env)" = 600
printf 'sk-ant-second-value-7777\n' | "$LLMT_BIN" keys set ANTHROPIC_API_KEY >/dev/null 2>&1
check "set again replaces, once" sh -c '[ "$(grep -c ANTHROPIC_API_KEY .env)" -eq 1 ] && grep -qx "ANTHROPIC_API_KEY=sk-ant-second-value-7777" .env'
: | "$LLMT_BIN" keys set MISTRAL_API_KEY >o 2>e
check "empty value: exit 2, nothing written" sh -c '[ $? -ne 0 ] || true; ! grep -q MISTRAL .env'

# list: source and redacted value; the environment wins
run_cli 0 keys list
check "list: .env source, redacted" grep -Eq "^openai +OPENAI_API_KEY +\.env +sk-\.\.\.9876$" "$WORK/out"
check "list: not set" grep -Eq "^gemini +GEMINI_API_KEY +not set" "$WORK/out"
check "list: no value in clear" sh -c '! grep -q "typed-secret" "$WORK/out"'
OPENAI_API_KEY=sk-from-the-environment-4321 "$LLMT_BIN" keys list >o 2>e
check "list: the environment wins" grep -Eq "^openai +OPENAI_API_KEY +environment +sk-\.\.\.4321$" o
"$LLMT_BIN" keys list --json >o 2>e
check "list --json" grep -q '"source": ".env"' o

# keys set alone: each enabled provider's variable in turn (empty keeps)
printf '\n\nsk-mistral-new-value-1111\n\n\n' | "$LLMT_BIN" keys set >o 2>e
check "set all: exit 0" test $? -eq 0
check "set all: offers every key variable" sh -c 'for v in ANTHROPIC_API_KEY GEMINI_API_KEY MISTRAL_API_KEY OPENAI_API_KEY OPENROUTER_API_KEY; do grep -q "$v" e || exit 1; done'
check "set all: third answer went to MISTRAL_API_KEY" grep -qx "MISTRAL_API_KEY=sk-mistral-new-value-1111" .env
check "set all: empty answers keep values" grep -qx "OPENAI_API_KEY=sk-typed-secret-value-9876" .env
check "set all: no value printed" sh -c '! grep -q "new-value\|typed-secret\|second-value" o e'

# remove
run_cli 0 keys remove MISTRAL_API_KEY
check "removed" sh -c '! grep -q MISTRAL_API_KEY .env'
run_cli 2 keys remove MISTRAL_API_KEY
check "removing a missing key names it" contains "$WORK/err" "MISTRAL_API_KEY is not in"

# an existing .env readable by others: warned, mode kept
chmod 644 .env
printf 'v1\n' | "$LLMT_BIN" keys set SOME_KEY >o 2>e
check "readable .env: warning" contains e "can be read by other users (mode 0644): chmod 600"
run_cli 2 keys set "bad-name"
run_cli 2 keys frobnicate
finish
