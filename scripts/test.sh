#!/usr/bin/env bash
# make test: the C unit tests, then the black-box suites (pytest) against throwaway clusters.
# The last line is "N passed, N failed" over everything.
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0
failed=0

for t in "$@"; do
    out=$("$t" 2>&1)
    rc=$?
    line=$(printf '%s\n' "$out" | tail -n 1)
    echo "$t: $line"
    if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
        passed=$((passed + BASH_REMATCH[1]))
        failed=$((failed + BASH_REMATCH[2]))
        [ "$rc" -ne 0 ] && printf '%s\n' "$out" | grep -v "passed, .* failed$" | head -40
    else
        printf '%s\n' "$out" | tail -n 40
        failed=$((failed + 1))
    fi
done

junit=$(mktemp --suffix=.xml)
/usr/bin/python3 -m pytest -q -p no:cacheprovider --junitxml="$junit" tests/api tests/import
counts=$(/usr/bin/python3 - "$junit" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else list(root)
t = sum(int(s.get("tests", 0)) for s in suites)
bad = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
skip = sum(int(s.get("skipped", 0)) for s in suites)
print(t - bad - skip, bad)
PY
) || counts="0 1"
rm -f "$junit"
read -r p f <<<"$counts"
passed=$((passed + p))
failed=$((failed + f))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
