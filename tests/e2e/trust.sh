#!/bin/sh
# Trust boundaries: a llm-tester.json in or above a folder of another user, or owned by
# another user, is not used (as git's safe.directory), with a warning saying why.
# Needs root to give files to another user (and setpriv to run as nobody); skipped
# with a message otherwise.
. "$LLMT_SOURCE_DIR/tests/e2e/lib/common.sh"

if [ "$(id -u)" -ne 0 ]; then
    echo "skipped: the ownership tests need root (to chown to nobody)"
    finish
    exit 0
fi
T="$WORK/t"
mkdir -p "$T/proj/sub"
chmod 755 "$WORK" "$T" "$T/proj" "$T/proj/sub"
echo '{"config_version":2,"run":{"concurrency":3}}' >"$T/proj/llm-tester.json"

# own folders and file: found
cd "$T/proj/sub" && run_cli 0 config show &&
    check "own config is used" contains "$WORK/out" "project config: $T/proj/llm-tester.json"

# root below a folder another user owns (the planted-config attack): ignored, says why
chown nobody "$T/proj/sub"
cd "$T/proj/sub" && run_cli 0 config show && {
    check "foreign folder: config not used" contains "$WORK/out" "project config: (none"
    check "foreign folder: warning names the file" contains "$WORK/err" "ignoring $T/proj/llm-tester.json"
    check "foreign folder: warning names the folder and owner" contains "$WORK/err" "the folder $T/proj/sub belongs to uid $(id -u nobody)"
}
chown root "$T/proj/sub"

# the file itself belongs to another user
chown nobody "$T/proj/llm-tester.json"
cd "$T/proj/sub" && run_cli 0 config show && {
    check "foreign file: config not used" contains "$WORK/out" "project config: (none"
    check "foreign file: warning" contains "$WORK/err" "the file $T/proj/llm-tester.json belongs to uid"
}
# --config still uses it on purpose
cd "$T/proj/sub" && run_cli 0 config show --config "$T/proj/llm-tester.json" &&
    check "--config overrides" contains "$WORK/out" "project config: $T/proj/llm-tester.json"
chown root "$T/proj/llm-tester.json"

# an unprivileged user below root's folders does not take root's config either
if command -v setpriv >/dev/null 2>&1; then
    chown nobody "$T/proj/sub"
    cd "$T/proj/sub" && setpriv --reuid nobody --regid "$(id -g nobody)" --clear-groups \
        "$LLMT_BIN" config show >"$WORK/out" 2>"$WORK/err"
    check "as nobody: root's config not used" contains "$WORK/out" "project config: (none"
    check "as nobody: warning" contains "$WORK/err" "belongs to uid 0, not to you (uid $(id -u nobody))"
else
    echo "skipped: no setpriv to run as nobody"
fi
cd /
finish
