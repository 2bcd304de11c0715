#!/usr/bin/env bash
# bench_mixed.sh — W7: a mix of reads (80% W1 package_show, 15% W3 datastore_search with a
# filter, 5% W2 package_search with q and facets) at c=16, alone and then while
# `opendata-import csv` loads a ROWS-row file into another resource (imports repeated so that
# one is always running): p99 and errors of each, and p99 during / p99 alone (goal: at most 3).
#   tests/perf/bench_mixed.sh [RECORDS=2000] [ROWS=1000000] [SECONDS=20]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
N=${1:-2000} ROWS=${2:-1000000} SECS=${3:-20}
T=$(mktemp -d /tmp/opendatad-mixed.XXXXXX)
chmod 755 "$T"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
URI=$("$ROOT/scripts/pg-local.sh" start "$T/pg" "$(port)" | tail -1)
SRV= IMP=
cleanup() {
    [ -n "$IMP" ] && kill "$IMP" 2>/dev/null
    [ -n "$SRV" ] && kill "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null
    "$ROOT/scripts/pg-local.sh" stop "$T/pg" >/dev/null 2>&1 || true
    rm -rf "$T"
}
trap cleanup EXIT
"$ROOT/bin/opendatad" db init --db "$URI" >/dev/null
/usr/bin/python3 tests/perf/gen_catalog.py "$T/cat.json" -n "$N" --seed 1 --ids "$T/ids.txt" >/dev/null
"$ROOT/bin/opendata-import" catalog "$T/cat.json" --db "$URI" --jobs 2 >/dev/null 2>&1
/usr/bin/python3 tests/perf/gen_rows.py "$T/small.csv" -n 100000 >/dev/null
/usr/bin/python3 tests/perf/gen_rows.py "$T/rows.csv" -n "$ROWS" >/dev/null
first=$(head -n 1 "$T/ids.txt")
"$ROOT/bin/opendata-import" csv "$T/small.csv" --resource-id mixed-read --dataset "$first" \
    --db "$URI" >/dev/null 2>&1
psql -qX "$URI" -c "VACUUM ANALYZE" >/dev/null
P=$(port)
"$ROOT/bin/opendatad" serve --db "$URI" --listen "127.0.0.1:$P" --threads 2 --access-log false \
    2>"$T/server.log" &
SRV=$!
for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$P/api/3/action/status_show" && break; sleep 0.1; done

# 100 paths: 80 package_show, 15 datastore_search, 5 package_search
head -n 80 "$T/ids.txt" | tr 'A-Z' 'a-z' | sed 's,^,/api/3/action/package_show?id=,' >"$T/paths.txt"
for d in $(seq 1 15); do
    printf '/api/3/action/datastore_search?resource_id=mixed-read&filters=%%7B%%22district%%22%%3A%%22district_%d%%22%%7D&limit=100\n' "$d"
done >>"$T/paths.txt"
for w in %E8%87%BA%E5%8C%97 %E8%B3%87%E6%96%99 %E7%B5%B1%E8%A8%88 %E4%BA%A4%E9%80%9A %E7%92%B0%E5%A2%83; do
    echo "/api/3/action/package_search?q=$w&facet.field=%5B%22organization%22,%22tags%22,%22res_format%22%5D&rows=10"
done >>"$T/paths.txt"
while read -r path; do
    c=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P$path")
    [ "$c" = 200 ] || { echo "bench_mixed: $c for $path" >&2; exit 1; }
done <"$T/paths.txt"

run() { # LABEL: wrk's p99 and errors
    wrk -t2 -c16 -d"${SECS}s" --latency --timeout 10s -s "$ROOT/tests/perf/paths.lua" \
        "http://127.0.0.1:$P" -- "$T/paths.txt" >"$T/$1.txt" 2>&1
    grep '^BENCH_RESULT' "$T/$1.txt"
}
wrk -t2 -c16 -d3s -s "$ROOT/tests/perf/paths.lua" "http://127.0.0.1:$P" -- "$T/paths.txt" >/dev/null
alone=$(run alone)
( while :; do
      "$ROOT/bin/opendata-import" csv "$T/rows.csv" --resource-id mixed-load --dataset "$first" \
          --db "$URI" >>"$T/imports.txt" 2>&1 || exit 1
      echo "import done $(date +%s.%N)" >>"$T/imports.txt"
  done ) &
IMP=$!
sleep 1
during=$(run during)
kill "$IMP" 2>/dev/null; wait "$IMP" 2>/dev/null || true
IMP=
kv() { printf '%s\n' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k {print $2}'; }
pa=$(kv "$alone" p99_us) pd=$(kv "$during" p99_us)
ea=$(($(kv "$alone" status) + $(kv "$alone" connect) + $(kv "$alone" read) + $(kv "$alone" timeout)))
ed=$(($(kv "$during" status) + $(kv "$during" connect) + $(kv "$during" read) + $(kv "$during" timeout)))
echo "records $N, import of $ROWS rows repeated ($(grep -c 'import done' "$T/imports.txt") finished during the run), wrk -t2 -c16 -d${SECS}s, load $(cut -d' ' -f1 /proc/loadavg)"
echo "alone:  $alone"
echo "during: $during"
printf 'mixed p99 alone %.2f ms (%d errors, %s req)   during import %.2f ms (%d errors, %s req)   ratio %.2f\n' \
    "$(echo "$pa / 1000" | bc -l)" "$ea" "$(kv "$alone" requests)" "$(echo "$pd / 1000" | bc -l)" "$ed" \
    "$(kv "$during" requests)" "$(echo "$pd / $pa" | bc -l)"
