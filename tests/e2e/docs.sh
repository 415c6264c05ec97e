#!/bin/sh
# The guides stay true: every block in docs/*.md preceded by a test marker is compiled or
# run here, in order, in one scratch directory per page.
#   <!-- test: sh -->            run the block with sh -e (llm-tester, fake-http-server on PATH;
#                                build/ links to the build tree)
#   <!-- test: c-compile -->     compile the block (C11, -Wall -Wextra -Wpedantic -Werror)
#                                against include/ only
#   <!-- test: c-build NAME -->  compile and link it against libllmtester into ./NAME
#   <!-- test: file NAME -->     write the block to ./NAME (and check JSON parses)
set -u
: "${LLMT_BIN:?}" "${LLMT_SOURCE_DIR:?}" "${LLMT_BUILD_DIR:?}" "${FAKE_HTTP_SERVER:?}"
. "$(dirname "$0")/lib/common.sh"
T=$WORK
mkdir -p "$T/bin"
ln -s "$LLMT_BIN" "$T/bin/llm-tester"
ln -s "$FAKE_HTTP_SERVER" "$T/bin/fake-http-server"
CC=${CC:-cc}
CFLAGS="-std=c11 -Wall -Wextra -Wpedantic -Werror -D_POSIX_C_SOURCE=200809L -I$LLMT_SOURCE_DIR/include"
LIBDIR=$(dirname "$(ls "$LLMT_BUILD_DIR"/libllmtester.so | head -1)")
# A sanitizer build's library needs programs linked against it to be instrumented too.
SAN=$(san_cflags)

run_block() { # doc mode arg file
    doc=$1; mode=$2; arg=$3; file=$4
    case "$mode" in
    sh)
        (cd "$W" && PATH="$T/bin:$PATH" sh -e "$file") >"$file.log" 2>&1 ;;
    c-compile)
        $CC $CFLAGS -x c -c "$file" -o "$file.o" >"$file.log" 2>&1 ;;
    c-build)
        $CC $CFLAGS $SAN -x c "$file" -x none -o "$W/$arg" -L"$LIBDIR" -Wl,-rpath,"$LIBDIR" -lllmtester >"$file.log" 2>&1 ;;
    file)
        cp "$file" "$W/$arg" && { case "$arg" in *.json) python3 -m json.tool "$file" >/dev/null 2>"$file.log" || jq . "$file" >/dev/null 2>>"$file.log";; esac; } ;;
    *)
        echo "unknown test marker '$mode'" >"$file.log"; false ;;
    esac
}

for doc in "$LLMT_SOURCE_DIR"/docs/*.md; do
    name=$(basename "$doc" .md)
    W="$T/work-$name"; mkdir -p "$W"
    ln -s "$LLMT_BUILD_DIR" "$W/build"
    # split marked blocks into files: NNN.<mode>.<arg>.blk
    awk -v dir="$T/$name" '
        BEGIN { n = 0; state = 0 }
        state == 0 && /^<!-- test: / {
            line = $0; sub(/^<!-- test: /, "", line); sub(/ *-->.*$/, "", line)
            split(line, a, " "); mode = a[1]; arg = (a[2] == "" ? "-" : a[2]); state = 1; next }
        state == 1 && /^```/ { n++; out = sprintf("%s.%03d.%s.%s.blk", dir, n, mode, arg); printf "" > out; state = 2; next }
        state == 1 && /^[[:space:]]*$/ { next }
        state == 1 { state = 0; next }
        state == 2 && /^```[[:space:]]*$/ { close(out); state = 0; next }
        state == 2 { print >> out }
    ' "$doc"
    for blk in "$T/$name".*.blk; do
        [ -e "$blk" ] || continue
        b=$(basename "$blk" .blk); rest=${b#"$name".}
        num=${rest%%.*}; rest=${rest#*.}; mode=${rest%%.*}; arg=${rest#*.}
        if run_block "$doc" "$mode" "$arg" "$blk"; then
            ok
        else
            bad "docs/$name.md block $num ($mode $arg):"
            sed 's/^/    /' "$blk.log" | tail -20 >&2
        fi
    done
done
# the guides this test exists for must keep tested blocks
for g in adding-a-provider library mock-provider; do
    check_sh "docs/$g.md has no tested block" 'ls "$T/$g".*.blk >/dev/null 2>&1'
done
finish
