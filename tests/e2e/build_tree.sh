#!/bin/sh
# The build tree as users meet it before installing: build/llmtester.pc builds and runs
# an application (the rpath finds the library), and an installed binary names its
# shipped provider configs by their installed path, not by src/providers/.
set -u
: "${LLMT_BUILD_DIR:?}" "${LLMT_SOURCE_DIR:?}"
SAN=""
if nm -D "$LLMT_BUILD_DIR"/libllmtester.so 2>/dev/null | grep -q __asan_init; then
    SAN="-fsanitize=address,undefined"
fi
pass=0; fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT INT TERM

# pkg-config against the build folder, no install
export PKG_CONFIG_PATH="$LLMT_BUILD_DIR"
INC=$(pkg-config --cflags-only-I llmtester | tr ' ' '\n' | sed -n 's/^-I//p' | head -1)
check "build-tree .pc: include dir has the headers" '[ -f "$INC/llmt/llmt.h" ]'
LIBDIR=$(pkg-config --variable=libdir llmtester)
check "build-tree .pc: libdir has the library" '[ -f "$LIBDIR/libllmtester.so" ]'
cp "$LLMT_SOURCE_DIR/examples/library/complete.c" "$LLMT_SOURCE_DIR/examples/library/Makefile" "$T/"
make -C "$T" complete CC="${CC:-cc} $SAN" >"$T/make.out" 2>&1
check "example builds from the build tree" '[ -x "$T/complete" ]'
printf '{"rules": [{"contains": "hi", "reply": "{\\"ok\\": true}"}]}\n' >"$T/rules.json"
env -u LD_LIBRARY_PATH "$T/complete" --mock-rules "$T/rules.json" mock:rules "hi" >"$T/run.out" 2>"$T/run.err"
check "example runs without LD_LIBRARY_PATH" '[ $? -eq 0 ] && grep -q "\"ok\": true" "$T/run.out"'

# an installed binary names the installed config files
DESTDIR="$T/stage" cmake --install "$LLMT_BUILD_DIR" --prefix /opt/llmt >"$T/install.out" 2>&1
R="$T/stage/opt/llmt"
(cd "$T" && LLMT_CEILING_DIRS="$T" "$R/bin/llm-tester" models list mock) >"$T/models.out" 2>&1
check "installed binary names the installed config" 'grep -q "$R/share/llm-tester/providers/mock/config.json" "$T/models.out"'
check "installed binary does not name src/providers" '! grep -q "src/providers/" "$T/models.out"'
check "the installed .pc is relocatable" 'grep -q "pcfiledir" "$R"/lib*/pkgconfig/llmtester.pc'
(cd "$T" && LLMT_CEILING_DIRS="$T" "$LLMT_BUILD_DIR/llm-tester" models list mock) >"$T/models2.out" 2>&1
check "the build-tree binary names the source tree" 'grep -q "src/providers/mock/config.json" "$T/models2.out"'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
