# End to end: a recorded run's retries replay as they happened. The fake server answers
# some requests with 429 and a Retry-After (seconds, or an HTTP date), with rate-limit
# headers; the cassette keeps those headers (and no other: no key, no cookie) and the
# replay, with no server, reproduces every attempt, class, message, score and cost
# without waiting, gives up where the recorded run gave up (its retry time limit runs on
# the recorded clock), reads a date-valued hint against the time the reply came (a
# cassette recorded a day earlier replays the same), and learns the same limits. The
# replays run without the API key: nothing is sent.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/cassette.sh"
: "${FAKE_HTTP_SERVER:?FAKE_HTTP_SERVER must point to the fake-http-server program}"
T="$LLMT_SOURCE_DIR/examples/tasks"
export LLMT_HISTORY_DB="$WORK/h.db"
KEY="sk-e2e-retry-cassette-key-9876"
answer() { jq -nc --arg c "$1" '{model:"gpt-4.1-mini-2025-04-14",choices:[{index:0,message:{role:"assistant",content:$c},finish_reason:"stop"}],usage:{prompt_tokens:1000,completion_tokens:100}}'; }
NURSE="$T/job_ads/tests/expected/nurse_part_time.json"
LATER=$(date -u -d '+600 seconds' '+%a, %d %b %Y %H:%M:%S GMT')
# script DATE_HINT: the Sainte case is limited once (Retry-After: 1 s), the skillet twice
# (its second hint finds less than 1 s left of the 2 s limit: it gives up); with
# DATE_HINT, the Merino case's hint is an HTTP date 600 s away: it gives up at once and
# its provider pauses, so the Sainte case's retry is not sent
script() {
    jq -n --argjson ans "$(answer "$(cat "$NURSE")")" --argjson small "$(answer '{"title":"x"}')" \
        --arg later "$LATER" --argjson date "$1" '
def limits: {"x-ratelimit-limit-requests": "500", "x-ratelimit-remaining-requests": "499",
             "x-ratelimit-reset-requests": "120ms", "x-ratelimit-limit-tokens": "200000",
             "x-ratelimit-remaining-tokens": "150000", "x-ratelimit-reset-tokens": "6s",
             "x-request-id": "req_ok", "set-cookie": "sid=cookie-not-to-record"};
def slow($ra): {status: 429, headers: (limits + {"retry-after": $ra, "x-request-id": "req_429",
                "x-ratelimit-remaining-requests": "0"}),
                body: {error: {message: "Rate limit reached for requests", type: "requests",
                               code: "rate_limit_exceeded"}}};
{match: ([
  {path_contains: "/chat/completions", body_contains: "Sainte", times: 1, reply: slow("1")},
  {path_contains: "/chat/completions", body_contains: "Sainte", reply: {headers: limits, body: $ans}},
  {path_contains: "/chat/completions", body_contains: "skillet", times: 2, reply: slow("1")}] +
  if $date then [{path_contains: "/chat/completions", body_contains: "Merino", times: 1,
                  reply: slow($later)}] else [] end),
 default: {headers: limits, body: $small}}'
}
RUN="run --tasks $T --models openai:gpt-4.1-mini --max-retries 3 --retry-max-time 2 -v"
# record NAME DATE_HINT: records $WORK/NAME (cassette) and $WORK/NAME.rec (results)
record() {
    script "$2" >"$WORK/script.json"
    rm -f "$WORK/port" "$WORK/requests.jsonl"
    start_fake_http "$WORK/script.json"
    OPENAI_API_KEY="$KEY" LLMT_OPENAI_BASE_URL="$base/v1" run_cli 3 $RUN --record "$WORK/$1" \
        --output "$WORK/$1.rec"
    cp "$WORK/err" "$WORK/$1.err"
    stop_fake_http
}
case_of() { jq -c --arg c "$2" "select(.case == \$c) | $3" "$WORK/$1.rec/results.jsonl"; }

rstart=$(date +%s%N)
record cas false
rtook=$((($(date +%s%N) - rstart) / 1000000))
R1="$WORK/cas.rec/results.jsonl"
check "recorded: 8 cases, one retry each for Sainte and the skillet (10 sent)" \
    test "$(lines "$WORK/requests.jsonl")" -eq 10
check "recorded: one exchange per request" test "$(cat "$WORK"/cas/*.jsonl | wc -l)" -eq 10
check "recorded: the 429 and its hint, answered after one retry" test \
    "$(case_of cas nurse_part_time '[.attempts[].class, .accuracy]')" = '["rate_limit","ok",100]'
check "recorded: the skillet gave up: 1 s asked, less than 1 s left" test \
    "$(case_of cas cast_iron_skillet '[(.attempts | length), .error.class, (.error.message | test("asked to wait 1 s; [01] s were left"))]')" = '[2,"rate_limit",true]'
C="$WORK/cas/product_descriptions.jsonl"
check "cassette: the 429's hint and rate-limit headers are kept" test \
    "$(jq -r 'select(.status == 429) | .headers["retry-after"] + " " + .headers["x-ratelimit-remaining-requests"]' "$C" | sort -u)" = "1 0"
check "cassette: the request id too" contains "$C" '"x-request-id":"req_429"'
check "cassette: no key, no Authorization, no cookie" test \
    "$(grep -ci -e "$KEY" -e authorization -e bearer -e cookie "$WORK"/cas/*.jsonl | grep -vc ':0$')" -eq 0
check "cassette: every line is format 2" test \
    "$(cat "$WORK"/cas/*.jsonl | jq -s '[.[] | select(.format != 2)] | length')" -eq 0
check "recorded: limits learned from the headers" contains "$WORK/cas.err" "from the reply headers: 500 requests/min"

# --- replay with no server: the same attempts, classes, messages, scores and costs
start=$(date +%s%N)
run_cli 3 $RUN --replay "$WORK/cas" --output "$WORK/r2"
took=$((($(date +%s%N) - start) / 1000000))
check "replayed: results equal the recorded ones, latencies and attempts included" \
    same_as "$R1" "$WORK/r2/results.jsonl"
check "replayed: same summary" same_summary "$WORK/cas.rec" "$WORK/r2"
# the recording waited out a 1 s Retry-After (twice, in parallel): the replay is at
# least 700 ms quicker however slow the machine
check "replayed: the recorded Retry-After is not waited out (${took} ms, ${rtook} ms recording)" \
    test "$took" -lt $((rtook - 700))
check "replayed: every result marked" test \
    "$(jq -s '[.[] | select(.replayed != true)] | length' "$WORK/r2/results.jsonl")" -eq 0
check "replayed: limits learned from the recorded headers" contains "$WORK/err" \
    "from the reply headers: 500 requests/min"

# --- a hint as an HTTP date that outlasts the time limit: the job gives up, its provider
# pauses, and another job's retry is not sent; the replay, which has no pauses, is told
# so by the cassette
record dcas true
R5="$WORK/dcas.rec/results.jsonl"
check "date hint: the Merino case gives up at once" test \
    "$(case_of dcas merino_hoodie '.error.message' | grep -Ec 'the server asked to wait (5[0-9][0-9]|600) s')" -eq 1
check "date hint: the Sainte retry is not sent" test \
    "$(case_of dcas nurse_part_time '[(.attempts | length), (.error.message | test("^not sent: openai asked for a pause"))]')" = '[1,true]'
check "date hint: the decision is in the cassette" test \
    "$(jq -c 'select(.sent == false) | [.case, .attempt, .error.class]' "$WORK/dcas/job_ads.jsonl")" = '["nurse_part_time",2,"rate_limit"]'
run_cli 3 $RUN --replay "$WORK/dcas" --output "$WORK/r5"
check "date hint: replayed results equal the recorded ones" same_as "$R5" "$WORK/r5/results.jsonl"

# --- a cassette recorded a day earlier: the HTTP date and the time it came move together,
# and the replay reads the hint as it was read then (now it would be in the past)
mkdir "$WORK/old"
for f in "$WORK"/dcas/*.jsonl; do
    jq -c 'if .headers["retry-after"] and (.headers["retry-after"] | test("GMT$"))
           then .received_at -= 86400
              | .headers["retry-after"] |= (strptime("%a, %d %b %Y %H:%M:%S GMT") | mktime - 86400
                                            | strftime("%a, %d %b %Y %H:%M:%S GMT"))
           else . end' "$f" >"$WORK/old/$(basename "$f")"
done
check "a day earlier: the date was moved" test \
    "$(cat "$WORK"/old/*.jsonl | grep -c "$(date -u -d '-1 day' '+%d %b %Y')")" -eq 1
run_cli 3 $RUN --replay "$WORK/old" --output "$WORK/r3"
check "a day earlier: results equal the recorded ones" same_as "$R5" "$WORK/r3/results.jsonl"

# --- the same cassette as format 1 (no headers, no times, no failure details): still
# replays, every answer as recorded
mkdir "$WORK/v1"
for f in "$WORK"/cas/*.jsonl; do
    jq -c 'del(.format, .at_ms, .headers, .received_at, .error.retryable, .error.http_status,
               .error.retry_after_s, .error.code) | if .error == {} then del(.error) else . end' \
        "$f" >"$WORK/v1/$(basename "$f")"
done
run_cli 0 run --tasks "$T" --models openai:gpt-4.1-mini --max-retries 3 --replay "$WORK/v1" \
    --filter job_ads --output "$WORK/r4"
check "format 1: the answered cases replay as recorded" test \
    "$(jq -sc 'map([.case, .accuracy, .cost_usd]) | sort' "$WORK/r4/results.jsonl")" = \
    "$(jq -sc 'map(select(.task == "job_ads") | [.case, .accuracy, .cost_usd]) | sort' "$R1")"
finish
