# Shared helpers for the end-to-end tests (sourced; not a test itself).
# Each test calls check/expect_* and ends with `finish`, which prints
# "N passed, N failed" and exits non-zero when anything failed.
: "${LLMT_BIN:?LLMT_BIN must point to the llm-tester binary}"
: "${LLMT_SOURCE_DIR:?LLMT_SOURCE_DIR must point to the source tree}"
PASSED=0
FAILED=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/llmt-e2e.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

ok() { PASSED=$((PASSED + 1)); }
bad() { FAILED=$((FAILED + 1)); echo "FAIL: $*" >&2; }

# check DESCRIPTION COMMAND...: passes when the command succeeds
check() {
    desc=$1; shift
    if "$@"; then ok; else bad "$desc"; fi
}

# run_cli EXPECTED_EXIT ARGS...: runs llm-tester, keeps stdout/stderr in $WORK/out, $WORK/err
run_cli() {
    want=$1; shift
    "$LLMT_BIN" "$@" >"$WORK/out" 2>"$WORK/err"
    got=$?
    if [ "$got" -ne "$want" ]; then
        bad "llm-tester $* exited $got, expected $want; stderr: $(head -c 400 "$WORK/err")"
        return 1
    fi
    ok
    return 0
}

# contains FILE TEXT
contains() { grep -qF -- "$2" "$1" || { echo "  '$2' not in $1: $(head -c 300 "$1")" >&2; return 1; }; }
lines() { wc -l <"$1" | tr -d ' '; }

# start_fake_http SCRIPT: starts $FAKE_HTTP_SERVER with SCRIPT, logging requests to
# $WORK/requests.jsonl; sets $pid and $base (http://127.0.0.1:PORT). Fails the test and
# exits when the server does not come up.
start_fake_http() {
    "$FAKE_HTTP_SERVER" --script "$1" --log "$WORK/requests.jsonl" --port-file "$WORK/port" >/dev/null &
    pid=$!
    i=0
    while [ ! -s "$WORK/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    if [ ! -s "$WORK/port" ]; then
        bad "fake-http-server did not start"
        finish
        exit 1
    fi
    base="http://127.0.0.1:$(cat "$WORK/port")"
}

# builtin_plugin NAME DIR: installs the built-in provider NAME built as a plugin from its
# own folder (tests/CMakeLists.txt, builtin_plugin_*) into DIR/NAME, overriding the
# built-in (use with LLMT_PLUGIN_PATH=DIR); fails when that plugin was not built.
builtin_plugin() {
    _so="${LLMT_BUILD_DIR:?}/test-plugins/builtin/$1/$1.so"
    [ -f "$_so" ] || return 1
    mkdir -p "$2/$1" && cp "$_so" "$2/$1/" &&
        jq '. + {"override_builtin": true}' "$LLMT_SOURCE_DIR/src/providers/$1/config.json" \
            >"$2/$1/config.json"
}

finish() {
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}
