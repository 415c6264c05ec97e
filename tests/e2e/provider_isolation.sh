# Seed item 1: provider-specific code lives only in src/providers/<name>/. No provider's
# name may appear in the C sources or public headers outside src/providers/.
. "$(dirname "$0")/lib/common.sh"
cd "$LLMT_SOURCE_DIR" || exit 1
for dir in src/providers/*/; do
    name=$(basename "$dir")
    [ "$name" = mock ] && continue   # "mock" is also an ordinary word in test helpers
    [ -f "$dir/config.json" ] || continue   # not a provider: the shared toolkit
    hits=$(grep -rliw --include='*.c' --include='*.h' -e "$name" src include | grep -v "^src/providers/" || true)
    if [ -n "$hits" ]; then
        bad "provider name '$name' outside its folder: $hits"
    else
        ok
    fi
done
finish
