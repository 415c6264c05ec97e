#!/bin/sh
# Installs the Debian/Ubuntu packages llm-tester needs, only when something is missing.
# Uses sudo when not root. Safe to run repeatedly (it is a no-op once all are present).
set -eu
PKGS="build-essential cmake pkg-config curl jq libcurl4-openssl-dev libjansson-dev libsqlite3-dev libcmocka-dev libjemalloc-dev liburing-dev libunistring-dev libpcre2-dev cppcheck pmccabe"
# for the browser tests of report.html (tests/browser/): installed when the distribution
# has them; without them those tests are skipped, saying so
OPTIONAL="python3 chromium"
# `install-deps.sh fuzz`: also what `make fuzz` needs (clang with libFuzzer)
[ "${1:-}" = "fuzz" ] && PKGS="$PKGS clang-14 libclang-rt-14-dev"
missing=""
optional=""
for p in $OPTIONAL; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        optional="$optional $p"
    fi
done
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing$optional" ] && exit 0
echo "llm-tester: installing missing packages:$missing$optional" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "llm-tester: need root or sudo to install:$missing" >&2; exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
[ -z "$missing" ] || $SUDO apt-get install -y -qq --no-install-recommends $missing
# shellcheck disable=SC2086
[ -z "$optional" ] || $SUDO apt-get install -y -qq --no-install-recommends $optional ||
    echo "llm-tester: could not install$optional: the browser tests of report.html will be skipped" >&2
