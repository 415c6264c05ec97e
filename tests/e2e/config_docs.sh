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
W=$(mktemp -d /tmp/llmt-e2e-docs-XXXXXX)
trap 'rm -rf "$W"' EXIT
pass=0; fail=0
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
        pass=$((pass + 1))
    else
        fail=$((fail + 1)); echo "FAIL: example $f does not validate:"; cat "$W/out"
    fi
done < "$W/examples-check/.list"
[ "$n_examples" -ge 3 ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: expected >= 3 checked examples, found $n_examples"; }

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
        pass=$((pass + 1))
    else
        fail=$((fail + 1)); echo "FAIL: '$line' exited $rc:"; cat "$W/out"
    fi
done < "$W/commands"
[ "$n_cmds" -ge 15 ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: expected >= 15 commands, found $n_cmds"; }
echo "$pass passed, $fail failed"
test "$fail" = 0
