#!/bin/sh
# Two processes editing the same override file at once: every edit of both lands and
# the file stays valid (locked read-modify-write + atomic rename).
set -u
BIN=${LLMT_BIN:?}
. "$(dirname "$0")/lib/common.sh"
W=$WORK
cd "$W" || exit 1
printf '{"config_version": 2}\n' > llm-tester.json
N=25
writer() {
    i=0
    while [ $i -lt $N ]; do
        "$BIN" models add mock "w$1-m$i" --cost-input 1 --cost-output 2 >/dev/null 2>>"err$1" || echo "add w$1-m$i failed" >>"err$1"
        i=$((i + 1))
    done
}
writer 1 & p1=$!
writer 2 & p2=$!
# a reader in the meantime must always see a valid file
bad_reads=0
while kill -0 $p1 2>/dev/null || kill -0 $p2 2>/dev/null; do
    if [ -f providers/mock.json ] && ! "$BIN" config validate providers/mock.json >/dev/null 2>&1; then
        bad_reads=$((bad_reads + 1))
    fi
done
wait $p1; wait $p2
check_cmd test ! -s err1
check_cmd test ! -s err2
check_cmd test "$bad_reads" = 0
check_cmd "$BIN" config validate
count=$("$BIN" models list mock --json | grep -c '"name": "w[12]-m')
check_cmd test "$count" = $((2 * N))
finish
