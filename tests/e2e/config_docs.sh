#!/bin/sh
# Keeps docs/configuration.md true: every JSON example marked
# "<!-- validate: NAME -->" must pass `config validate`, and every `llm-tester ...`
# line of its ```sh blocks must succeed, run in document order in a scratch folder
# holding a copy of examples/ (and, as legacy/pyllm_config.json, the fixture the
# migrate example names).
set -u
BIN=${LLMT_BIN:?}
SRC=${LLMT_SOURCE_DIR:?}
DOC="$SRC/docs/configuration.md"
. "$(dirname "$0")/lib/common.sh"
W=$WORK
mkdir -p "$W/examples-check" "$W/walk"
cp -r "$SRC/examples" "$W/walk/"
mkdir -p "$W/walk/legacy" "$W/examples-check/providers"
cp "$SRC/tests/fixtures/config/pyllm_config.json" "$W/walk/legacy/"

# 1. the marked JSON examples
awk -v dir="$W/examples-check" '
    /^<!-- validate: .* -->$/ { name = $3; want = 1; next }
    want && /^```json/ { out = dir "/" name; inblock = 1; want = 0; print out > (dir "/.list"); next }
    inblock && /^```/ { inblock = 0; close(out); next }
    inblock { print > out }
' "$DOC"
n_examples=0
while read -r f; do
    n_examples=$((n_examples + 1))
    mkdir -p "$(dirname "$f")"
    if (cd "$W/examples-check" && "$BIN" config validate "${f#$W/examples-check/}" >"$W/out" 2>&1); then
        ok
    else
        bad "example $f does not validate:"; cat "$W/out"
    fi
done < "$W/examples-check/.list"
check "expected >= 3 checked examples, found $n_examples" test "$n_examples" -ge 3

# 2. the commands, in order
awk '/^```sh/ { inblock = 1; next } inblock && /^```/ { inblock = 0; next } inblock && /^llm-tester / { print }' "$DOC" \
    | sed 's/[[:space:]]*#.*$//' > "$W/commands"
n_cmds=0
cd "$W/walk" || exit 1
while read -r line; do
    n_cmds=$((n_cmds + 1))
    # shellcheck disable=SC2086
    set -- $line
    shift
    "$BIN" "$@" >"$W/out" 2>&1 </dev/null
    rc=$?
    if [ $rc = 0 ]; then
        ok
    else
        bad "'$line' exited $rc:"; cat "$W/out"
    fi
done < "$W/commands"
check "expected >= 15 commands, found $n_cmds" test "$n_cmds" -ge 15
finish
