#!/usr/bin/env bash
# End-to-end test of the fake-http-server program (script, match rules,
# default, body_file, --log, --port-file, SIGTERM -> exit 0).
# Usage: test_fake_http_server.sh PATH/TO/fake-http-server
# Needs bash and the curl command-line tool; talks only to 127.0.0.1.
set -u

BIN=${1:?usage: $0 PATH/TO/fake-http-server}
TMP=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
    rm -rf "$TMP"
}
trap cleanup EXIT

PASS=0
FAIL=0
check() { # check NAME EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then
        PASS=$((PASS + 1))
    else
        FAIL=$((FAIL + 1))
        printf 'FAIL %s\n  expected: %s\n  actual:   %s\n' "$1" "$2" "$3"
    fi
}
contains() { # contains NAME NEEDLE HAYSTACK
    case "$3" in
    *"$2"*) PASS=$((PASS + 1)) ;;
    *) FAIL=$((FAIL + 1)); printf 'FAIL %s\n  missing: %s\n  in: %s\n' "$1" "$2" "$3" ;;
    esac
}

mkdir -p "$TMP/fixtures"
printf '{"from":"file"}' >"$TMP/fixtures/reply.json"
cat >"$TMP/fixtures/script.json" <<'EOF'
{
  "match": [
    {"path_contains": "/models", "reply": {"status": 200, "body": {"data": [{"id": "m1"}]}}},
    {"method": "POST", "body_contains": "\"boom\"", "times": 1,
     "reply": {"status": 500, "body": "exploded"}}
  ],
  "replies": [
    {"status": 429, "headers": {"Retry-After": "2", "X-Num": 7}, "body": {"error": {"type": "rate_limit"}}},
    {"status": 200, "body_file": "reply.json", "delay_ms": 100},
    {"status": 200, "body": "", "close": true},
    {"status": 200, "body": "0123456789", "truncate": true},
    {"status": 200, "headers": {"Content-Type": "text/event-stream"},
     "body": "data: a\n\ndata: b\n\n", "stream_delay_ms": 20}
  ],
  "default": {"status": 418, "body": "teapot"}
}
EOF

CURL=(curl -s --noproxy '*' --max-time 10)

"$BIN" --script "$TMP/fixtures/script.json" --log "$TMP/log.jsonl" --port-file "$TMP/port" >"$TMP/stdout" 2>"$TMP/stderr" &
SERVER_PID=$!
for _ in $(seq 1 100); do [ -s "$TMP/port" ] && break; sleep 0.05; done
PORT=$(cat "$TMP/port" 2>/dev/null)
check "port file written" "1" "$([ -n "$PORT" ] && echo 1)"
check "stdout has the port" "$PORT" "$(head -n1 "$TMP/stdout")"
URL="http://127.0.0.1:$PORT"

# match rules first (repeatable), then the FIFO replies in order
check "match path" '{"data":[{"id":"m1"}]}' "$("${CURL[@]}" "$URL/v1/models")"
out=$("${CURL[@]}" -i -H 'X-Api-Key: k1' "$URL/v1/chat?stream=0")
contains "fifo 1 status" "HTTP/1.1 429" "$out"
contains "fifo 1 header" "Retry-After: 2" "$out"
contains "fifo 1 numeric header" "X-Num: 7" "$out"
contains "fifo 1 json body" '{"error":{"type":"rate_limit"}}' "$out"
check "match path again" '{"data":[{"id":"m1"}]}' "$("${CURL[@]}" "$URL/v1/models")"
check "match body once" "exploded" "$("${CURL[@]}" -d '{"x":"boom"}' "$URL/v1/chat")"
check "fifo 2 body_file" '{"from":"file"}' "$("${CURL[@]}" -d '{"x":"boom"}' "$URL/v1/chat")"
"${CURL[@]}" "$URL/drop" >/dev/null; rc=$?
check "fifo 3 close -> empty reply (curl 52)" "52" "$rc"
"${CURL[@]}" "$URL/trunc" >"$TMP/trunc"; rc=$?
check "fifo 4 truncate -> partial (curl 18)" "18" "$rc"
check "fifo 4 half body" "01234" "$(cat "$TMP/trunc")"
check "fifo 5 stream" "$(printf 'data: a\n\ndata: b\n\n')" "$("${CURL[@]}" "$URL/stream")"
check "default" "teapot" "$("${CURL[@]}" "$URL/whatever")"
check "default status" "418" "$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$URL/whatever")"

kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
rc=$?
SERVER_PID=
check "exit 0 on SIGTERM" "0" "$rc"
check "nothing on stderr" "" "$(cat "$TMP/stderr")"

check "one log line per request" "10" "$(wc -l <"$TMP/log.jsonl" | tr -d ' ')"
line2=$(sed -n 2p "$TMP/log.jsonl")
contains "log method" '"method":"GET"' "$line2"
contains "log path" '"path":"/v1/chat?stream=0"' "$line2"
contains "log lower-cased header" '"x-api-key":"k1"' "$line2"
contains "log t" '"t":' "$line2"
contains "log body" '"body":"{\"x\":\"boom\"}"' "$(sed -n 4p "$TMP/log.jsonl")"
if command -v jq >/dev/null 2>&1; then
    check "log is valid JSON lines" "10" "$(jq -c . "$TMP/log.jsonl" | wc -l | tr -d ' ')"
fi

# a broken script is rejected with exit 2
echo '{"replies": [{"stauts": 200}]}' >"$TMP/bad.json"
"$BIN" --script "$TMP/bad.json" >/dev/null 2>"$TMP/bad.err"
check "bad script exit 2" "2" "$?"
contains "bad script message" 'unknown key "stauts"' "$(cat "$TMP/bad.err")"

# SIGINT works too
"$BIN" --script "$TMP/fixtures/script.json" >"$TMP/stdout2" &
SERVER_PID=$!
for _ in $(seq 1 100); do [ -s "$TMP/stdout2" ] && break; sleep 0.05; done
kill -INT "$SERVER_PID"
wait "$SERVER_PID"
rc=$?
SERVER_PID=
check "exit 0 on SIGINT" "0" "$rc"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
