#!/bin/sh
# costs update from a file and against the fake HTTP server. The catalog provider is
# whichever provider offers a catalog; its name is read from the command's output, so
# this script names no provider but the mock.
set -u
BIN=${LLMT_BIN:?}
SRC=${LLMT_SOURCE_DIR:?}
FAKE=${FAKE_HTTP_SERVER:?}
CAT="$SRC/tests/fixtures/config/catalog.json"
W=$(mktemp -d /tmp/llmt-e2e-costs-XXXXXX)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$W"' EXIT
cd "$W" || exit 1
pass=0; fail=0
t() { if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $*"; fi; }

"$BIN" costs update --from "$CAT" --dry-run >out 2>err; rc=$?
if [ $rc = 2 ] && grep -q "no provider offers a model catalog" err; then
    t test ! -e llm-tester.json
    echo "no catalog provider in this build: only the refusal was checked"
    echo "$pass passed, $fail failed"
    test "$fail" = 0
    exit $?
fi
t test $rc = 0
t grep -q "dry run: nothing written" out
t test ! -e providers
t test ! -e llm-tester.json
NAME=$(sed -n 's/^catalog of \([^:]*\):.*/\1/p' out)
t test -n "$NAME"

# from a file, only the mock's models: oracle's price changed, noisy's did not
"$BIN" costs update --from "$CAT" --provider mock >out 2>err; rc=$?
t test $rc = 0
t grep -q "^1 updated, 0 added, 1 unchanged" out
t grep -q '"cost_input": 0.2' providers/mock.json
t grep -q '"max_input_tokens": 200000' providers/mock.json
"$BIN" costs update --from "$CAT" --provider mock >out 2>err
t grep -q "^0 updated, 0 added, 2 unchanged" out
# a model mapped to a catalog entry with catalog_id
"$BIN" models add mock mapped --catalog-id vendor/new-model --cost-input 1 --cost-output 1 >/dev/null 2>&1
"$BIN" costs update --from "$CAT" --provider mock >out 2>err
t grep -q "^1 updated" out
t grep -q "updated   mock:mapped  in 1.0000 -> 3.0000  out 1.0000 -> 15.0000" out
t sh -c "! grep -q '\"name\": \"new-model\"' providers/mock.json"
"$BIN" costs update --from /nonexistent.json >out 2>err; rc=$?
t test $rc = 2
"$BIN" costs update --from "$CAT" --provider nope >out 2>err; rc=$?
t test $rc = 2

# live, against the fake server standing in for the catalog provider's API
printf '{"match": [{"path_contains": "/models", "reply": {"status": 200, "body_file": "%s"}}]}\n' "$CAT" > script.json
"$FAKE" --script script.json --log req.jsonl --port-file port >/dev/null 2>&1 &
pid=$!
i=0; while [ ! -s port ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
VAR=LLMT_$(printf '%s' "$NAME" | tr 'a-z' 'A-Z' | tr -c 'A-Z0-9\n' '_')_BASE_URL
cp providers/mock.json mock.before
env "$VAR=http://127.0.0.1:$(cat port)" "$BIN" costs update >out 2>err; rc=$?
t test $rc = 0
t grep -q '"method":"GET"' req.jsonl
t grep -q "added" out
t grep -q '"enabled": false' "providers/$NAME.json"
t cmp -s mock.before providers/mock.json
t "$BIN" config validate
kill "$pid"; wait "$pid" 2>/dev/null; pid=
echo "$pass passed, $fail failed"
test "$fail" = 0
