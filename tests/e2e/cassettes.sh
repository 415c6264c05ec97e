# End to end: run --record DIR writes cassettes (one JSON Lines file per task, keys
# redacted); run --replay DIR answers from them without a server and reproduces the
# recorded results (mock and the OpenAI wire format against the fake server); a case or
# a request that is not in the cassette fails naming the case or the changed field.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/cassette.sh"
: "${FAKE_HTTP_SERVER:?FAKE_HTTP_SERVER must point to the fake-http-server program}"
T="$LLMT_SOURCE_DIR/examples/tasks"
export LLMT_HISTORY_DB="$WORK/h.db"
unset http_proxy HTTP_PROXY all_proxy ALL_PROXY
KEY="sk-e2e-cassette-key-5678"
OTHER="sk-ant-e2e-other-key-4321"   # a configured key of a provider the run does not use

# --- the mock: recorded, replayed, identical
run_cli 0 run --tasks "$T" --models mock:noisy --seed 4 --record "$WORK/cas" --output "$WORK/m1"
check "mock: one cassette per task" test "$(ls "$WORK/cas" | tr '\n' ' ')" = "job_ads.jsonl product_descriptions.jsonl "
check "mock: one exchange per case" test "$(cat "$WORK"/cas/*.jsonl | wc -l)" -eq 8
run_cli 0 run --tasks "$T" --models mock:noisy --seed 4 --replay "$WORK/cas" --output "$WORK/m2"
check "mock: replayed results equal the recorded ones" same_as "$WORK/m1/results.jsonl" "$WORK/m2/results.jsonl"
check "mock: same summary" same_summary "$WORK/m1" "$WORK/m2"
check "mock: every result marked replayed" replayed_all "$WORK/m2"
check "mock: the recorded run is not marked" test "$(grep -c '"replayed"' "$WORK/m1/results.jsonl")" -eq 0
# another seed is another request: the miss names the case, the field and how to record
run_cli 3 run --tasks "$T" --models mock:noisy --seed 5 --replay "$WORK/cas" --output "$WORK/m3"
check "mock: changed request fails its cases" test "$(jq '[.results[] | select(.error.class == "not_recorded")] | length' "$WORK/m3/results.json")" -eq 8
check "mock: the changed field is named" contains "$WORK/err" "/seed differs"
check "mock: how to record is said" contains "$WORK/err" "--record $WORK/cas"
run_cli 2 run --tasks "$T" --models mock:noisy --record "$WORK/cas" --replay "$WORK/cas"
check "record and replay exclude each other" contains "$WORK/err" "exclude each other"
run_cli 2 run --tasks "$T" --models mock:noisy --replay "$WORK/nothing"
check "a missing cassette folder is named" contains "$WORK/err" "$WORK/nothing"
# --optimize with a cassette whose run was not optimized: the run replays, the re-run is
# not in the cassette and says so (tests/e2e/cassettes_optimize.sh records one)
run_cli 0 run --tasks "$T" --models mock:noisy --seed 4 --replay "$WORK/cas" --optimize --output "$WORK/m4"
check "--optimize: the re-run's miss names its cassette" test \
    "$(jq -r '.error.message' "$WORK"/m4/optimized/results.jsonl | grep -c '@optimized/.* is not recorded')" -ge 1
mkdir "$WORK/empty"
run_cli 2 run --tasks "$T" --models mock:noisy --replay "$WORK/empty"
check "an empty cassette folder is refused" contains "$WORK/err" "no cassette there"

# --- simulated latency and a local failure that is retried: recorded as they were,
# replayed without waiting
cat >"$WORK/slow.json" <<'JSON'
{"rules": [{"contains": "Sainte", "error": {"class": "timeout"}, "times": 1}],
 "default": {"reply": {"title": "x"}}, "latency": {"fixed_ms": 1500}}
JSON
run_cli 0 run --tasks "$T" --models mock:rules --mock-rules "$WORK/slow.json" -j 8 \
    --record "$WORK/scas" --output "$WORK/s1"
start=$(date +%s%N)
run_cli 0 run --tasks "$T" --models mock:rules --mock-rules "$WORK/slow.json" -j 8 \
    --replay "$WORK/scas" --output "$WORK/s2"
took=$((($(date +%s%N) - start) / 1000000))
check "slow mock: the replay does not wait (${took} ms for 1.5 s answers)" test "$took" -lt 1000
check "slow mock: replayed results equal the recorded ones" same_as "$WORK/s1/results.jsonl" "$WORK/s2/results.jsonl"
check "slow mock: the recorded latency is kept" test \
    "$(jq -s '[.[] | select(.latency_ms < 1500)] | length' "$WORK/s2/results.jsonl")" -eq 0
check "slow mock: the retried case replays both attempts" test \
    "$(jq -s -c '[.[] | select(.attempts | length == 2) | .attempts | map(.class)]' "$WORK/s2/results.jsonl")" = '[["timeout","ok"]]'

# --- Ctrl-C: what was recorded before the interrupt is written
cat >"$WORK/steady.json" <<'JSON'
{"default": {"reply": {"title": "x"}}, "latency": {"fixed_ms": 400}}
JSON
"$LLMT_BIN" run --tasks "$T" --models mock:rules --mock-rules "$WORK/steady.json" -j 1 \
    --record "$WORK/icas" --output "$WORK/i1" --no-history >/dev/null 2>"$WORK/ierr" &
rpid=$!
sleep 1.5
kill -INT $rpid
wait $rpid
check "interrupted: exit 130" test $? -eq 130
check "interrupted: the finished exchanges are in the cassette" test \
    "$(cat "$WORK"/icas/*.jsonl 2>/dev/null | wc -l)" -ge 1
check "interrupted: only what finished" test \
    "$(cat "$WORK"/icas/*.jsonl | wc -l)" -eq "$(wc -l <"$WORK/i1/results.jsonl")"

# --- OpenAI's wire format against the fake server: answers, a retried 500, a retried
# reply cut short (a transport failure: no reply, its class), a 401 whose message
# carries the key
NURSE="$T/job_ads/tests/expected/nurse_part_time.json"
jq -n --argjson ans "$(openai_chat "$(cat "$NURSE")")" --argjson small "$(openai_chat '{"title":"x"}')" --arg key "$KEY" --arg other "$OTHER" '
{match: [
  {path_contains: "/echo/v1/chat/completions", reply: {status: 401,
     body: {error: {message: ("Keys seen: " + $key + " and " + $other), type: "invalid_request_error"}}}},
  {path_contains: "/chat/completions", body_contains: "Sainte", reply: {body: $ans}},
  {path_contains: "/chat/completions", body_contains: "Merino", reply: {status: 401,
     body: {error: {message: ("Incorrect API key provided: " + $key), type: "invalid_request_error", code: "invalid_api_key"}}}}
 ],
 replies: [{status: 500, body: {error: {message: "The server had an error", type: "server_error"}}},
           {truncate: true, body: {error: "cut short"}}],
 default: {body: $small}}' >"$WORK/script.json"
start_fake_http "$WORK/script.json"
export OPENAI_API_KEY="$KEY" LLMT_OPENAI_BASE_URL="$base/v1"
run_cli 3 run --tasks "$T" --models openai:gpt-4.1-mini --max-retries 2 --record "$WORK/hcas" \
    --output "$WORK/h1"
sent=$(wc -l <"$WORK/requests.jsonl" | tr -d ' ')
check "http: the 500 and the cut reply were retried (10 requests)" test "$sent" -eq 10
ANTHROPIC_API_KEY="$OTHER" LLMT_OPENAI_BASE_URL="$base/echo/v1" run_cli 3 run --tasks "$T" \
    --models openai:gpt-4.1-mini --filter merino --record "$WORK/ecas" --output "$WORK/e1"
check "http: every configured key is redacted, used or not" test \
    "$(grep -c -- "Keys seen: \[REDACTED\] and \[REDACTED\]" "$WORK/ecas/product_descriptions.jsonl")" -eq 1
kill $pid 2>/dev/null
wait $pid 2>/dev/null
check "http: one exchange per request" test "$(cat "$WORK"/hcas/*.jsonl | wc -l)" -eq 10
check "http: the transport failure is recorded by its class" test \
    "$(cat "$WORK"/hcas/*.jsonl | jq -s '[.[] | select(.error.class == "bad_response" and .status == 0)] | length')" -eq 1
check "http: retries are numbered" test \
    "$(cat "$WORK"/hcas/*.jsonl | jq -s '[.[] | select(.attempt == 2)] | length')" -eq 2
check "http: no cassette holds the key" test "$(grep -rc -- "$KEY" "$WORK/hcas" "$WORK/cas" | grep -vc ':0$')" -eq 0
check "http: the key's place is marked" contains "$WORK/hcas/product_descriptions.jsonl" "[REDACTED]"
run_cli 3 run --tasks "$T" --models openai:gpt-4.1-mini --max-retries 2 --replay "$WORK/hcas" \
    --output "$WORK/h2"
check "http: replayed with no server, results equal" same_as "$WORK/h1/results.jsonl" "$WORK/h2/results.jsonl"
check "http: same summary" same_summary "$WORK/h1" "$WORK/h2"
check "http: every result marked replayed" replayed_all "$WORK/h2"
check "http: recorded latency kept" test \
    "$(jq -c '[.results[] | select(.error == null) | .latency_ms] | sort' "$WORK/h1/results.json")" = \
    "$(jq -c '[.results[] | select(.error == null) | .latency_ms] | sort' "$WORK/h2/results.json")"

# a changed source and a new case: the changed field and the unrecorded case are named,
# the other cases replay
cp -r "$T" "$WORK/t2"
echo "Apply by Friday." >>"$WORK/t2/job_ads/tests/sources/ml_engineer_remote.txt"
cp "$T/job_ads/tests/sources/nurse_part_time.txt" "$WORK/t2/job_ads/tests/sources/zz_new_case.txt"
cp "$NURSE" "$WORK/t2/job_ads/tests/expected/zz_new_case.json"
run_cli 3 run --tasks "$WORK/t2" --models openai:gpt-4.1-mini --max-retries 2 \
    --replay "$WORK/hcas" --filter job_ads --output "$WORK/h3"
R="$WORK/h3/results.json"
check "changed: the changed case fails not_recorded" test \
    "$(jq -r '.results[] | select(.case == "ml_engineer_remote") | .error.class' "$R")" = not_recorded
check "changed: the field is named" contains "$WORK/err" "/messages/1/content differs"
check "new case: fails naming task, case and model" test \
    "$(jq -r '.results[] | select(.case == "zz_new_case") | .error.message' "$R" | grep -c 'job_ads/zz_new_case with openai:gpt-4.1-mini .*is not recorded.*--record')" -eq 1
check "changed: the other cases replay" test \
    "$(jq '[.results[] | select(.error == null and .replayed == true)] | length' "$R")" -eq 3

# --- docs/ci.md's recipes as written: record in a project, then the workflow's replay job
unset OPENAI_API_KEY LLMT_OPENAI_BASE_URL
RECIPE="python3 $LLMT_SOURCE_DIR/tests/e2e/lib/recipes.py $LLMT_SOURCE_DIR/docs/ci.md"
P="$WORK/proj"
mkdir -p "$P" "$WORK/bin"
cp -r "$T" "$P/tasks"
echo '{"config_version": 2, "tasks_dir": "tasks", "models": ["mock:oracle", "mock:noisy"], "run": {"seed": 3}}' \
    >"$P/llm-tester.json"
ln -s "$LLMT_BIN" "$WORK/bin/llm-tester"
: >"$WORK/steps"
(
    cd "$P" && PATH="$WORK/bin:$PATH" && export PATH
    $RECIPE record | grep '^llm-tester ' | while IFS= read -r cmd; do
        sh -c "$cmd" >/dev/null 2>&1 || echo "FAILED($?): $cmd" >>"$WORK/steps"
    done
    $RECIPE github-replay gha replay | grep -v '^ARTIFACT' | while IFS= read -r cmd; do
        sh -c "$cmd" >/dev/null 2>&1; echo "$?" >>"$WORK/steps"
    done
)
check "recipes: recorded, and the replay job's one step ran" test "$(cat "$WORK/steps")" = 1
check "recipes: the gate fails on mock:noisy's accuracy (exit 1), not on a miss" \
    test "$(jq -s '[.[] | select(.replayed != true or .error != null)] | length' "$P/out/results.jsonl")" -eq 0
scores() { jq -sc 'group_by(.model) | map([.[0].model, (map(.accuracy) | add)])' "$1"; }
check "recipes: replayed scores are the recorded ones" test \
    "$(scores "$P/out/results.jsonl")" = "$(scores "$P/out/recorded/results.jsonl")"
check "recipes: the gate's report" test -s "$P/out/junit.xml"
# --batch with --replay: a provider without a batch API replays as usual
# (tests/e2e/cassettes_batch.sh replays a batch run)
run_cli 0 run --tasks "$T" --models mock:noisy --seed 4 --replay "$WORK/cas" --batch --output "$WORK/mb"
check "--batch with --replay: the mock's cases replay" same_as "$WORK/m1/results.jsonl" "$WORK/mb/results.jsonl"
finish
