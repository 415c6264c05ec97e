#!/bin/sh
# The build tree as users meet it before installing: build/llmtester.pc builds and runs
# an application (the rpath finds the library), and an installed binary names its
# shipped provider configs by their installed path, not by src/providers/.
set -u
: "${LLMT_BUILD_DIR:?}" "${LLMT_SOURCE_DIR:?}"
. "$(dirname "$0")/lib/common.sh"
SAN=$(san_cflags)
T=$WORK

# pkg-config against the build folder, no install
export PKG_CONFIG_PATH="$LLMT_BUILD_DIR"
INC=$(pkg-config --cflags-only-I llmtester | tr ' ' '\n' | sed -n 's/^-I//p' | head -1)
check_sh "build-tree .pc: include dir has the headers" '[ -f "$INC/llmt/llmt.h" ]'
LIBDIR=$(pkg-config --variable=libdir llmtester)
check_sh "build-tree .pc: libdir has the library" '[ -f "$LIBDIR/libllmtester.so" ]'
cp "$LLMT_SOURCE_DIR/examples/library/complete.c" "$LLMT_SOURCE_DIR/examples/library/Makefile" "$T/"
make -C "$T" complete CC="${CC:-cc} $SAN" >"$T/make.out" 2>&1
check_sh "example builds from the build tree" '[ -x "$T/complete" ]'
printf '{"rules": [{"contains": "hi", "reply": "{\\"ok\\": true}"}]}\n' >"$T/rules.json"
env -u LD_LIBRARY_PATH "$T/complete" --mock-rules "$T/rules.json" mock:rules "hi" >"$T/run.out" 2>"$T/run.err"
check_sh "example runs without LD_LIBRARY_PATH" '[ $? -eq 0 ] && grep -q "\"ok\": true" "$T/run.out"'

# an installed binary names the installed config files
DESTDIR="$T/stage" cmake --install "$LLMT_BUILD_DIR" --prefix /opt/llmt >"$T/install.out" 2>&1
R="$T/stage/opt/llmt"
(cd "$T" && LLMT_CEILING_DIRS="$T" "$R/bin/llm-tester" models list mock) >"$T/models.out" 2>&1
check_sh "installed binary names the installed config" 'grep -q "$R/share/llm-tester/providers/mock/config.json" "$T/models.out"'
check_sh "installed binary does not name src/providers" '! grep -q "src/providers/" "$T/models.out"'
check_sh "the installed .pc is relocatable" 'grep -q "pcfiledir" "$R"/lib*/pkgconfig/llmtester.pc'
(cd "$T" && LLMT_CEILING_DIRS="$T" "$LLMT_BUILD_DIR/llm-tester" models list mock) >"$T/models2.out" 2>&1
check_sh "the build-tree binary names the source tree" 'grep -q "src/providers/mock/config.json" "$T/models2.out"'

finish
