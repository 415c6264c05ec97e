#!/bin/sh
# Every public header compiles alone (libgit2's header test): included first and only,
# as C11 with -Wall -Wextra -Werror -pedantic, and as C++ (an application may be C++).
# Usage: check_headers.sh CC CXX INCLUDE_DIR
set -eu
CC=$1 CXX=$2 INC=$3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
for h in "$INC"/llmt/*.h; do
    name=$(basename "$h")
    printf '#include <llmt/%s>\nint llmt_header_test_%s;\n' "$name" "$(echo "$name" | tr -c 'a-z0-9\n' '_')" >"$T/t.c"
    cp "$T/t.c" "$T/t.cpp"
    if ! "$CC" -std=c11 -Wall -Wextra -Werror -pedantic -fsyntax-only -I "$INC" "$T/t.c" 2>"$T/err"; then
        echo "FAIL: $name does not compile alone as C11:" >&2
        cat "$T/err" >&2
        fail=1
    fi
    if ! "$CXX" -std=c++11 -Wall -Wextra -Werror -pedantic -fsyntax-only -I "$INC" "$T/t.cpp" 2>"$T/err"; then
        echo "FAIL: $name does not compile alone as C++:" >&2
        cat "$T/err" >&2
        fail=1
    fi
done
[ "$fail" = 0 ] && echo "every public header compiles alone as C11 and C++"
exit "$fail"
