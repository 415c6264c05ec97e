# End to end: `llm-tester doctor` (keys redacted, base URLs, --ping against a local fake
# server only: every HTTP provider's base URL is overridden to 127.0.0.1).
. "$(dirname "$0")/lib/common.sh"
: "${FAKE_HTTP_SERVER:?FAKE_HTTP_SERVER must point to the fake-http-server program}"
echo '{"default": {"status": 404, "body": {"error": "nothing here"}}}' >"$WORK/script.json"
"$FAKE_HTTP_SERVER" --script "$WORK/script.json" --log "$WORK/requests.jsonl" --port-file "$WORK/port" >/dev/null &
pid=$!
i=0
while [ ! -s "$WORK/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
base="http://127.0.0.1:$(cat "$WORK/port")"
for p in OPENAI ANTHROPIC GEMINI MISTRAL OPENROUTER OLLAMA; do export "LLMT_${p}_BASE_URL=$base/$p"; done
unset http_proxy HTTP_PROXY all_proxy ALL_PROXY ANTHROPIC_API_KEY GEMINI_API_KEY MISTRAL_API_KEY
export OPENAI_API_KEY="sk-proj-doctorSECRET-abcd"
mkdir -p "$WORK/proj"
echo 'OPENROUTER_API_KEY="sk-or-v1-dotenvSECRET-wxyz"' >"$WORK/proj/.env"
cd "$WORK/proj" || exit 1

run_cli 0 doctor
check "lists every provider" test "$(grep -cE '^(anthropic|gemini|mistral|mock|ollama|openai|openrouter) ' "$WORK/out")" -eq 7
check "key set, redacted" grep -qE '^openai .*OPENAI_API_KEY +set \(sk-\.\.\.abcd\)' "$WORK/out"
check "key from .env, redacted" grep -qE '^openrouter .*set in \.env \(sk-\.\.\.wxyz\)' "$WORK/out"
check "missing key shown" grep -qE '^anthropic .*ANTHROPIC_API_KEY +NOT SET' "$WORK/out"
check "ollama needs no key" grep -qE '^ollama .*\(none\) +not needed' "$WORK/out"
check "base URL override shown" contains "$WORK/out" "$base/OPENAI (from LLMT_OPENAI_BASE_URL)"
check "no secret printed" sh -c "! grep -q SECRET '$WORK/out' '$WORK/err'"
check "no request without --ping" test ! -s "$WORK/requests.jsonl"

run_cli 0 doctor --ping --json
check "json: 7 providers" test "$(jq length "$WORK/out")" -eq 7
check "json: every HTTP provider reachable" \
    test "$(jq '[.[] | select(.kind == "http") | .ping | startswith("reachable (HTTP 404")] | all' "$WORK/out")" = true
check "json: mock not pinged" test "$(jq -r '.[] | select(.provider == "mock") | .ping' "$WORK/out")" = "skipped (local)"
check "json: no secret" sh -c "! grep -q SECRET '$WORK/out'"
check "ping sent 6 GETs" test "$(grep -c '"method":"GET"' "$WORK/requests.jsonl")" -eq 6
check "ping sends no credentials" sh -c "! grep -qiE 'authorization|x-api-key|x-goog-api-key' '$WORK/requests.jsonl'"

kill "$pid"
wait "$pid"
# nothing listens there any more: unreachable, exit 3
run_cli 3 doctor --ping --timeout 2
check "unreachable reported" grep -q "UNREACHABLE" "$WORK/out"
run_cli 2 doctor --bogus
finish
