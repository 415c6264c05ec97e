#!/bin/sh
# `cmake --install` (what `make install PREFIX=... DESTDIR=...` runs) puts the binary,
# the library, headers, provider configs, pkg-config file, docs and man page in place;
# an application then builds against it with pkg-config alone (examples/library/Makefile),
# and a plugin with the headers alone.
set -u
: "${LLMT_BUILD_DIR:?}" "${LLMT_SOURCE_DIR:?}"
. "$(dirname "$0")/lib/common.sh"
SAN=$(san_cflags)
T=$WORK

DESTDIR="$T/stage" cmake --install "$LLMT_BUILD_DIR" --prefix /opt/llmt >"$T/install.out" 2>&1
check_sh "install succeeds" '[ $? -eq 0 ]'
R="$T/stage/opt/llmt"
check_sh "binary installed" '[ -x "$R/bin/llm-tester" ]'
check_sh "shared and static library installed" 'ls "$R"/lib*/libllmtester.so* >/dev/null 2>&1 && ls "$R"/lib*/libllmtester.a >/dev/null 2>&1'
check_sh "headers installed" '[ -f "$R/include/llmt/llmt.h" ] && [ -f "$R/include/llmt/provider.h" ] && [ -f "$R/include/llmt/extract.h" ]'
check_sh "provider configs installed" '[ -f "$R/share/llm-tester/providers/mock/config.json" ]'
check_sh "man page installed" '[ -f "$R/share/man/man1/llm-tester.1" ]'
check_sh "docs installed" '[ -f "$R/share/doc/llm-tester/library.md" ] && [ -f "$R/share/doc/llm-tester/adding-a-provider.md" ]'
PC=$(ls "$R"/lib*/pkgconfig/llmtester.pc 2>/dev/null | head -1)
check_sh "pkg-config file installed" '[ -n "$PC" ]'
export PKG_CONFIG_PATH="$(dirname "$PC")"
INC=$(pkg-config --cflags-only-I llmtester | tr ' ' '\n' | sed -n 's/^-I//p' | head -1)
check_sh "pkg-config cflags point into the install" '[ "$(cd "$INC" && pwd -P)" = "$(cd "$R/include" && pwd -P)" ]'
check_sh "pkg-config libs" 'pkg-config --libs llmtester | grep -q -- "-lllmtester"'
check_sh "pkg-config version" '[ "$(pkg-config --modversion llmtester)" = "0.1.0" ]'

# an application: the library examples, built with their Makefile (pkg-config only)
cp "$LLMT_SOURCE_DIR/examples/library/complete.c" "$LLMT_SOURCE_DIR/examples/library/extract.c" \
   "$LLMT_SOURCE_DIR/examples/library/Makefile" "$T/"
make -C "$T" CC="${CC:-cc} $SAN" >"$T/make.out" 2>&1
check_sh "examples build against the installed library" '[ $? -eq 0 ] && [ -x "$T/complete" ] && [ -x "$T/extract" ]'
printf '{"rules": [{"contains": "hi", "reply": "{\\"ok\\": true}"}]}\n' >"$T/rules.json"
LD_LIBRARY_PATH="$(dirname "$(ls "$R"/lib*/libllmtester.so | head -1)")" "$T/complete" --mock-rules "$T/rules.json" mock:rules "hi" >"$T/run.out" 2>/dev/null
check_sh "installed example runs" '[ $? -eq 0 ] && grep -q "\"ok\": true" "$T/run.out"'

# the example plugin builds against the installed headers (pkg-config) with its Makefile
cp -r "$LLMT_SOURCE_DIR/plugins/example" "$T/plugin"
make -C "$T/plugin" >"$T/pmake.out" 2>&1
check_sh "example plugin builds against installed headers" '[ $? -eq 0 ] && [ -f "$T/plugin/example.so" ]'
check_sh "plugin build used the installed include dir" 'grep -q -- "-I$INC" "$T/pmake.out"'

# the installed binary loads it
mkdir -p "$T/plugins" && mv "$T/plugin" "$T/plugins/example"
LLMT_PLUGIN_PATH="$T/plugins" "$R/bin/llm-tester" providers list >"$T/plist.out" 2>&1
check_sh "installed binary loads the plugin" 'grep -Eq "^example +yes" "$T/plist.out"'

# the installed binary finds import's Python helper under its own prefix (moved tree)
check_sh "import helper installed" '[ -f "$R/share/llm-tester/llmt_pyimport.py" ]'
if command -v python3 >/dev/null 2>&1; then
    "$R/bin/llm-tester" import "$LLMT_SOURCE_DIR/tests/fixtures/py_models/product_descriptions" \
        --output "$T/imported" >"$T/import.out" 2>&1
    check_sh "installed binary imports with its helper" '[ $? -eq 0 ] && [ -f "$T/imported/product_descriptions/schema.json" ]'
fi

finish
