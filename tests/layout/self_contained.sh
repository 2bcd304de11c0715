#!/bin/sh
# A clone is all there is: no tracked file points outside the repository (a sibling folder of the
# build machine such as ../shared, an absolute path of a machine it was built on) or at a test
# fixture that was never copied in. One line per offending file, then "N passed, N failed" (one
# check per pattern), as scripts/test.sh expects. Run from anywhere inside a git checkout;
# without git (an exported tree) it checks nothing and says so.
cd "$(dirname "$0")/../.." || exit 1
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    echo "not a git checkout: nothing to check"
    echo "0 passed, 0 failed"
    exit 0
fi
passed=0
failed=0
# the patterns are split so that this file does not match itself
for p in '\.\./sha''red/' '/wo''rk/(sha''red|main|wt-|notes|\.mirror|\.library)' 'fixtures/re''al/'; do
    hits=$(git grep -l -E "$p" -- . ':!docs/bench/raw' 2>/dev/null)
    if [ -n "$hits" ]; then
        echo "files naming a path outside the repository ($p):" $hits
        failed=$((failed + 1))
    else
        passed=$((passed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
