# Helpers of the cassette end-to-end tests (sourced after common.sh).

# same_as A B: two results.jsonl equal but for what a replay may change: when each
# result was made and the replay mark (latencies, attempts, messages, costs all count)
same_as() {
    f='del(.timestamp, .replayed, .attempts[]?.replayed)'
    jq -c "$f" "$1" | sort >"$WORK/x1"
    jq -c "$f" "$2" | sort >"$WORK/x2"
    cmp -s "$WORK/x1" "$WORK/x2" || { diff "$WORK/x1" "$WORK/x2" | head -c 1500 >&2; return 1; }
}
# same_summary DIR1 DIR2: the same results.json summary
same_summary() { test "$(jq -cS .summary "$1/results.json")" = "$(jq -cS .summary "$2/results.json")"; }
# replayed_all DIR: every result of DIR/results.jsonl says "replayed": true
replayed_all() { test "$(jq -s '[.[] | select(.replayed != true)] | length' "$1/results.jsonl")" -eq 0; }
