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

# check_cmd COMMAND...: check with the command itself as the description
check_cmd() { check "$*" "$@"; }

# check_sh DESCRIPTION SHELL_TEXT: passes when SHELL_TEXT, evaluated here, succeeds ($? in
# it is still the status of the command before check_sh)
check_sh() { if eval "$2"; then ok; else bad "$1"; fi; }

# san_cflags: the flags a program linked against the built library must be compiled with
# ("-fsanitize=address,undefined" when the library is a sanitizer build, else nothing)
san_cflags() {
    if nm -D "${LLMT_BUILD_DIR:?}"/libllmtester.so 2>/dev/null | grep -q __asan_init; then
        echo "-fsanitize=address,undefined"
    fi
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

# start_fake_http SCRIPT [LOG]: starts $FAKE_HTTP_SERVER with SCRIPT, logging requests to
# LOG ($WORK/requests.jsonl by default); sets $pid and $base (http://127.0.0.1:PORT),
# stops the server on exit and unsets the proxy variables (nothing may stand between the
# tool and 127.0.0.1). Fails the test and exits when the server does not come up.
# stop_fake_http stops it (a test may start another one after).
start_fake_http() {
    rm -f "$WORK/port"
    "$FAKE_HTTP_SERVER" --script "$1" --log "${2:-$WORK/requests.jsonl}" --port-file "$WORK/port" >/dev/null &
    pid=$!
    trap 'kill $pid 2>/dev/null; rm -rf "$WORK"' EXIT
    unset http_proxy HTTP_PROXY all_proxy ALL_PROXY
    i=0
    while [ ! -s "$WORK/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    if [ ! -s "$WORK/port" ]; then
        bad "fake-http-server did not start"
        finish
        exit 1
    fi
    base="http://127.0.0.1:$(cat "$WORK/port")"
}
stop_fake_http() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }

# logged_requests [TEXT]: how many requests the fake server logged (whose path contains TEXT)
logged_requests() {
    if [ -f "$WORK/requests.jsonl" ]; then
        jq -s --arg t "${1:-}" '[.[] | select(.path | contains($t))] | length' "$WORK/requests.jsonl"
    else
        echo 0
    fi
}

# openai_chat CONTENT [PROMPT_TOKENS [COMPLETION_TOKENS]]: an OpenAI chat completion
# answering CONTENT (usage 1000 in, 100 out unless given), as compact JSON
openai_chat() {
    jq -nc --arg c "$1" --argjson in "${2:-1000}" --argjson out "${3:-100}" \
        '{model:"gpt-4.1-mini-2025-04-14",choices:[{index:0,message:{role:"assistant",content:$c},finish_reason:"stop"}],usage:{prompt_tokens:$in,completion_tokens:$out}}'
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
