#!/bin/sh
# Static analysis run by `make test` (and `make lint`):
#  1. cppcheck (warning, performance, portability) over the library, CLI, providers,
#     plugins and examples: any finding fails. Suppress one only inline
#     (// cppcheck-suppress id) with a comment saying why.
#  2. dead code: cppcheck's unusedFunction over everything that calls into src/ (tests
#     included). Public API functions (declared in include/llmt/) are for applications and
#     a plugin's entry point is for the loader; any other function nobody calls fails,
#     unless scripts/cppcheck/unused-allowed.txt lists it with a reason.
#  3. complexity (scripts/complexity.sh, pmccabe): no function above the cut-off.
set -eu
cd "$(dirname "$0")/.."
if ! command -v cppcheck >/dev/null 2>&1; then
    echo "lint: cppcheck is not installed (run scripts/install-deps.sh)" >&2
    exit 1
fi
COMMON="--std=c11 -q -D_POSIX_C_SOURCE=200809L --library=scripts/cppcheck/jansson.cfg -I include -I src"
# shellcheck disable=SC2086
cppcheck --enable=warning,performance,portability --error-exitcode=1 --inline-suppr $COMMON \
    src plugins examples/library

public=$(grep -ho 'llmt_[A-Za-z0-9_]*(' include/llmt/*.h | tr -d '(' | sort -u)
allowed=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' scripts/cppcheck/unused-allowed.txt | awk '{print $1}')
# shellcheck disable=SC2086
unused=$(cppcheck --enable=unusedFunction $COMMON src plugins examples/library tests 2>&1 |
         sed -n "s/.*The function '\([^']*\)' is never used.*/\1/p" | sort -u)
bad=""
for f in $unused; do
    case " $(echo $public $allowed llmt_provider_entry) " in
    *" $f "*) ;;
    *) bad="$bad $f" ;;
    esac
done
if [ -n "$bad" ]; then
    echo "lint: functions nobody calls (delete them, or list them with a reason in scripts/cppcheck/unused-allowed.txt):$bad" >&2
    exit 1
fi

# 3. complexity: no function over the cut-off or longer than ~120 lines
./scripts/complexity.sh
