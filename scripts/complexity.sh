#!/bin/sh
# Complexity gate run by `make lint` (curl's scripts/top-complexity is the model): no
# function of the library, CLI, providers, plugins or examples may have a modified
# McCabe complexity (pmccabe's first column: a switch counts once) above MAX_COMPLEXITY
# or be longer than MAX_LINES lines. A function over either limit is split, not listed:
# scripts/complexity-allowed.txt is meant to stay empty, and an entry in it needs a
# reason and an owner who will remove it.
set -eu
cd "$(dirname "$0")/.."
MAX_COMPLEXITY=${MAX_COMPLEXITY:-60}
MAX_LINES=${MAX_LINES:-120}
if ! command -v pmccabe >/dev/null 2>&1; then
    echo "lint: pmccabe is not installed (run scripts/install-deps.sh)" >&2
    exit 1
fi
allowed=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' scripts/complexity-allowed.txt | awk '{print $1}')
# pmccabe: modified-complexity traditional statements first-line lines file(line): name
fail=$(find src plugins examples/library -name '*.c' | sort | xargs pmccabe 2>/dev/null |
       awk -v mc="$MAX_COMPLEXITY" -v ml="$MAX_LINES" -v allowed=" $(echo $allowed) " '
           $1 > mc || $5 > ml {
               name = $0; sub(/.*: /, "", name)
               if (index(allowed, " " name " ")) next
               printf "\n  %s %s: complexity %d, %d lines", $6, name, $1, $5 }')
if [ -n "$fail" ]; then
    echo "lint: functions over the complexity gate (complexity > $MAX_COMPLEXITY or > $MAX_LINES lines); split them:$fail" >&2
    exit 1
fi
