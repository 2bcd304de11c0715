#!/usr/bin/env bash
# make test: the C unit tests, then the black-box suites (pytest) against throwaway clusters —
# once with the normal build, once with the sanitized one (build/san: AddressSanitizer with leak
# detection, UBSan). Any sanitizer report fails the run and is printed. With the normal build,
# the API suites that read the database run once more on databases made with the schema of
# 2026-12-05 (tests/fixtures/schema-2026-12-05) and upgraded by `opendatad db init`.
# The last line is "N passed, N failed" over everything.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SAN_BIN=$ROOT/build/san/bin
passed=0
failed=0

unit() {
    local t=$1 out rc line
    out=$("$t" 2>&1)
    rc=$?
    line=$(printf '%s\n' "$out" | tail -n 1)
    echo "$t: $line"
    if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
        passed=$((passed + BASH_REMATCH[1]))
        failed=$((failed + BASH_REMATCH[2]))
        [ "$rc" -ne 0 ] && printf '%s\n' "$out" | grep -v "passed, .* failed$" | head -40
        [ "$rc" -ne 0 ] && [ "${BASH_REMATCH[2]}" -eq 0 ] && failed=$((failed + 1))
    else
        printf '%s\n' "$out" | tail -n 40
        failed=$((failed + 1))
    fi
}

# pytest over the given black-box suites (default: all); adds its counts.
blackbox() {
    local junit counts p f
    junit=$(mktemp --suffix=.xml)
    [ $# -gt 0 ] || set -- tests/api tests/import
    /usr/bin/python3 -m pytest -q -p no:cacheprovider --junitxml="$junit" "$@"
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
}

for t in "$@"; do unit "$t"; done
blackbox
# Not the suites about the server process (HTTP framing, limits, signals, restarts) nor the
# hostile-input sweep (input checked in C, every route): they read little from the database and
# took four of the six minutes the whole pass took; the rest takes under two. Nor those that
# make clusters of their own (replicas, poolers, proxies: they never see an upgraded database).
echo "== tests/api on databases upgraded from the schema of 2026-12-05"
OPENDATA_TEST_UPGRADED=1 blackbox tests/api --ignore=tests/api/test_http_edge.py \
    --ignore=tests/api/test_hardening.py --ignore=tests/api/test_process.py \
    --ignore=tests/api/test_core.py --ignore=tests/api/test_sweep.py \
    --ignore=tests/api/test_replicas.py --ignore=tests/api/test_pgbouncer.py \
    --ignore=tests/api/test_two_servers.py

# The sanitized pass: every report goes to a file of its own under $reports.
reports=$(mktemp -d /tmp/opendata-san.XXXXXX)
chmod 755 "$reports"
export ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$ROOT/tests/sanitizer/lsan.supp:print_suppressions=0"
echo "== sanitized build (AddressSanitizer + LeakSanitizer + UBSan)"
# (unit tests again; the fuzz drivers are sanitized builds already)
for t in "$@"; do
    [ -x "$SAN_BIN/$(basename "$t")" ] && unit "$SAN_BIN/$(basename "$t")"
done
OPENDATA_BIN=$SAN_BIN OPENDATA_SANITIZED=1 OPENDATAD_SQL_DIR=$ROOT/sql \
    OPENDATAD_SCHEMA_DIR=$ROOT/schemas blackbox
nreports=$(find "$reports" -type f | wc -l)
if [ "$nreports" -gt 0 ]; then
    echo "== $nreports sanitizer report(s):"
    for f in "$reports"/*; do echo "--- $f"; head -60 "$f"; done
    failed=$((failed + nreports))
else
    echo "sanitizer reports: 0"
    passed=$((passed + 1))
fi
rm -rf "$reports"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
