# End to end: --cache answers identical requests from SQLite; cache stats|clear.
. "$(dirname "$0")/lib/common.sh"
T="$LLMT_SOURCE_DIR/examples/tasks"
export LLMT_HISTORY_DB="$WORK/h.db" LLMT_CACHE_DB="$WORK/c.db"

run_cli 0 cache stats
check "no cache yet" contains "$WORK/out" "No response cache"
run_cli 0 run --tasks "$T" --models mock:noisy --seed 4 --cache write --output "$WORK/a"
check "fresh answers are not marked cached" test "$(jq '[.results[] | select(.cached == true)] | length' "$WORK/a/results.json")" -eq 0
run_cli 0 cache stats --json
check "one entry per case" test "$(jq .entries "$WORK/out")" -eq 8
run_cli 0 run --tasks "$T" --models mock:noisy --seed 4 --cache read --output "$WORK/b"
check "second run answered from the cache" test "$(jq '[.results[] | select(.cached == true)] | length' "$WORK/b/results.json")" -eq 8
check "cached answers equal the originals" test \
    "$(jq -c '[.results[] | [.accuracy, .answer, .usage.input_tokens, .usage.output_tokens]]' "$WORK/a/results.json")" = \
    "$(jq -c '[.results[] | [.accuracy, .answer, .usage.input_tokens, .usage.output_tokens]]' "$WORK/b/results.json")"
run_cli 0 run --tasks "$T" --models mock:noisy --seed 5 --cache read --output "$WORK/c"
check "another seed is another request" test "$(jq '[.results[] | select(.cached == true)] | length' "$WORK/c/results.json")" -eq 0
run_cli 0 cache stats --json
check "read mode stores nothing" test "$(jq .entries "$WORK/out")" -eq 8
check "hits counted" test "$(jq .hits "$WORK/out")" -eq 8
run_cli 0 cache clear --older-than 1
check "nothing is a day old" contains "$WORK/out" "Deleted 0 entries"
run_cli 0 cache clear
check "clear deletes all" contains "$WORK/out" "Deleted 8 entries"
run_cli 2 run --tasks "$T" --models mock:noisy --cache sometimes
check "bad mode named" contains "$WORK/err" "'sometimes'"
run_cli 2 cache frob
finish
