#!/bin/sh
# costs update from a file and against the fake HTTP server. The catalog provider is
# whichever provider offers a catalog; its name is read from the command's output, so
# this script names no provider but the mock.
set -u
BIN=${LLMT_BIN:?}
SRC=${LLMT_SOURCE_DIR:?}
: "${FAKE_HTTP_SERVER:?}"
CAT="$SRC/tests/fixtures/config/catalog.json"
. "$(dirname "$0")/lib/common.sh"
W=$WORK
cd "$W" || exit 1

"$BIN" costs update --from "$CAT" --dry-run >out 2>err; rc=$?
if [ $rc = 2 ] && grep -q "no provider offers a model catalog" err; then
    check_cmd test ! -e llm-tester.json
    echo "no catalog provider in this build: only the refusal was checked"
    finish
    exit $?
fi
check_cmd test $rc = 0
check_cmd grep -q "dry run: nothing written" out
check_cmd test ! -e providers
check_cmd test ! -e llm-tester.json
NAME=$(sed -n 's/^catalog of \([^:]*\):.*/\1/p' out)
check_cmd test -n "$NAME"

# from a file, only the mock's models: oracle's price changed, noisy's did not
"$BIN" costs update --from "$CAT" --provider mock >out 2>err; rc=$?
check_cmd test $rc = 0
check_cmd grep -q "^1 updated, 0 added, 1 unchanged" out
check_cmd grep -q '"cost_input": 0.2' providers/mock.json
check_cmd grep -q '"max_input_tokens": 200000' providers/mock.json
"$BIN" costs update --from "$CAT" --provider mock >out 2>err
check_cmd grep -q "^0 updated, 0 added, 2 unchanged" out
# a model mapped to a catalog entry with catalog_id
"$BIN" models add mock mapped --catalog-id vendor/new-model --cost-input 1 --cost-output 1 >/dev/null 2>&1
"$BIN" costs update --from "$CAT" --provider mock >out 2>err
check_cmd grep -q "^1 updated" out
check_cmd grep -q "updated   mock:mapped  in 1.0000 -> 3.0000  out 1.0000 -> 15.0000" out
check_cmd sh -c "! grep -q '\"name\": \"new-model\"' providers/mock.json"
"$BIN" costs update --from /nonexistent.json >out 2>err; rc=$?
check_cmd test $rc = 2
"$BIN" costs update --from "$CAT" --provider nope >out 2>err; rc=$?
check_cmd test $rc = 2

# live, against the fake server standing in for the catalog provider's API
printf '{"match": [{"path_contains": "/models", "reply": {"status": 200, "body_file": "%s"}}]}\n' "$CAT" > script.json
start_fake_http "$W/script.json" "$W/req.jsonl"
VAR=LLMT_$(printf '%s' "$NAME" | tr 'a-z' 'A-Z' | tr -c 'A-Z0-9\n' '_')_BASE_URL
cp providers/mock.json mock.before
env "$VAR=$base" "$BIN" costs update >out 2>err; rc=$?
check_cmd test $rc = 0
check_cmd grep -q '"method":"GET"' req.jsonl
check_cmd grep -q "added" out
check_cmd grep -q '"enabled": false' "providers/$NAME.json"
check_cmd cmp -s mock.before providers/mock.json
check_cmd "$BIN" config validate
stop_fake_http
finish
