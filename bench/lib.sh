# Shell helpers shared by bench/run.sh and bench/ab.sh (sourced; they set WORK and STUB).

# make_tasks N DIR: one task of N small cases (the stub's answer matches them)
make_tasks() {
    d="$2/bench"
    mkdir -p "$d/tests/sources" "$d/tests/expected"
    printf '%s\n' '{"type":"object","properties":{"name":{"type":"string"},"value":{"type":"integer"}},"required":["name","value"]}' >"$d/schema.json"
    printf '%s\n' '{"description":"benchmark","prompt":"Extract the name and the value from this text."}' >"$d/task.json"
    awk -v n="$1" -v d="$d/tests" 'BEGIN {
        for (i = 0; i < n; i++) {
            s = sprintf("%s/sources/c%06d.txt", d, i); e = sprintf("%s/expected/c%06d.json", d, i)
            printf("The bench case number %d is called bench and has the value 1.\n", i) > s; close(s)
            printf("{\"name\":\"bench\",\"value\":1}\n") > e; close(e)
        } }'
}

start_stub() { # start_stub DELAY_MS -> sets STUB_PID, PORT
    : >"$WORK/port.tmp" # truncated here: a stale port of the previous stub would be read
    "$STUB" --delay-ms "$1" >"$WORK/port.tmp" &
    STUB_PID=$!
    i=0
    # the stub prints its port and a newline once it listens
    while ! { [ -f "$WORK/port.tmp" ] && [ "$(wc -l <"$WORK/port.tmp")" -ge 1 ]; } && [ $i -lt 100 ]; do
        sleep 0.05; i=$((i + 1))
    done
    PORT=$(head -1 "$WORK/port.tmp")
    [ -n "$PORT" ] || { echo "bench: the stub server did not start" >&2; exit 1; }
}
stop_stub() { kill "$STUB_PID" 2>/dev/null || true; wait "$STUB_PID" 2>/dev/null || true; STUB_PID=; }

now() { date +%s.%N; }
