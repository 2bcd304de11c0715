#!/usr/bin/env bash
# bench_upload.sh — an uploaded CSV until queryable, side by side with opendata-import of the
# same file (docs/BENCHMARKS.md, "Uploads"). The 1M × 10 CSV of tests/perf/gen_rows.py, into
# two resources of the demo catalogue, alternating, UPLOAD_REPS times:
#
#   import  opendata-import csv FILE RID_A (until it exits: swapped in, indexes built)
#   upload  the file POSTed as a multipart `upload` part to a CKAN action (the edge spools it
#           to an unnamed file in --upload-dir: the upload's own cost), then xloader_submit of
#           RID_B, whose stored upload is that file, polled with xloader_status until complete
#           (the same library, on the server's load thread). The file is put in the store
#           between the two, untimed (resource_create will link the spooled file instead).
#
# Prints one line per run, then the medians and the ratio upload / import. Row counts are
# checked before anything is reported. Knobs: BENCH_ROWS (1000000), UPLOAD_REPS (3).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
ROWS=${BENCH_ROWS:-1000000}
REPS=${UPLOAD_REPS:-3}
RID_A=A62000000A-000001-001
RID_B=A62000000A-000001-002

T=$(mktemp -d /tmp/opendata-bench-upload.XXXXXX)
chmod 755 "$T"
PGDIR=$T/pg
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(port)
HTTP=$(port)
SRV=
cleanup() {
    [ -z "$SRV" ] || kill "$SRV" 2>/dev/null || true
    "$ROOT/scripts/pg-local.sh" stop "$PGDIR" >/dev/null 2>&1 || true
    rm -rf "$T"
}
trap cleanup EXIT

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.2f", b - a}'; }
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }

python3 tests/perf/gen_rows.py "$T/rows.csv" -n "$ROWS"
SIZE=$(stat -c %s "$T/rows.csv")
SHA=$(sha256sum "$T/rows.csv" | cut -d' ' -f1)
URI=$("$ROOT/scripts/pg-local.sh" start "$PGDIR" "$PORT")
psqlq() { psql -XAtq "$URI" "$@"; }
bin/opendatad db init --db "$URI" >/dev/null
bin/opendata-import catalog docs/demo/catalog.json --db "$URI" >/dev/null 2>&1
TOKEN=$(bin/opendatad user add bench --sysadmin --db "$URI" | tail -n 1)
mkdir -p "$T/up"
bin/opendatad serve --db "$URI" --listen "127.0.0.1:$HTTP" --threads 2 --upload-dir "$T/up" \
    --max-upload-size 1073741824 --access-log false >"$T/server.log" 2>&1 &
SRV=$!
BASE=http://127.0.0.1:$HTTP
for _ in $(seq 100); do curl -fs "$BASE/api/3/action/status_show" >/dev/null && break; sleep 0.1; done
# The file as RID_B's stored upload (what resource_create with an upload records).
DIR=$T/up/resources/$(printf '%s' "$RID_B" | sha256sum | cut -d' ' -f1)
mkdir -p "$DIR"
psqlq -c "SELECT upload_record('$RID_B', '$SHA', $SIZE, 'rows.csv', 'text/csv')" >/dev/null

action() { curl -fsS -H "Authorization: $TOKEN" -H 'Content-Type: application/json' \
               -d "{\"resource_id\": \"$2\"}" "$BASE/api/3/action/$1"; }
rows_of() { psqlq -c "SELECT row_count FROM datastore_table WHERE resource_id = '$1'"; }

I=() S=() L=() U=()
for rep in $(seq "$REPS"); do
    t0=$(now)
    bin/opendata-import csv "$T/rows.csv" --resource-id "$RID_A" --db "$URI" >/dev/null 2>"$T/import.txt"
    imp=$(since "$t0")
    t0=$(now)
    curl -fsS -o /dev/null -F "upload=@$T/rows.csv;type=text/csv" "$BASE/api/3/action/status_show"
    spool=$(since "$t0")
    cp "$T/rows.csv" "$DIR/$SHA.tmp" && mv "$DIR/$SHA.tmp" "$DIR/$SHA"
    t0=$(now)
    action xloader_submit "$RID_B" | python3 -c 'import json,sys; assert json.load(sys.stdin)["result"] is True'
    while :; do
        st=$(action xloader_status "$RID_B" | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["status"])')
        [ "$st" = pending ] || [ "$st" = running ] || break
        sleep 0.05
    done
    load=$(since "$t0")
    [ "$st" = complete ] || { echo "load of $RID_B: $st" >&2; exit 1; }
    [ "$(rows_of "$RID_A")" = "$ROWS" ] && [ "$(rows_of "$RID_B")" = "$ROWS" ] ||
        { echo "row counts differ: $(rows_of "$RID_A") $(rows_of "$RID_B")" >&2; exit 1; }
    up=$(awk -v a="$spool" -v b="$load" 'BEGIN {printf "%.2f", a + b}')
    echo "rep $rep: import ${imp}s | upload ${spool}s + load ${load}s = ${up}s | load avg $(cut -d' ' -f1 /proc/loadavg)"
    I+=("$imp") S+=("$spool") L+=("$load") U+=("$up")
done
mi=$(median "${I[@]}") ms=$(median "${S[@]}") ml=$(median "${L[@]}") mu=$(median "${U[@]}")
echo "rows $ROWS, file $SIZE bytes, $REPS repetitions (medians)"
echo "import ${mi}s; upload ${ms}s + xloader load ${ml}s = ${mu}s;" \
     "ratio $(awk -v a="$mu" -v b="$mi" 'BEGIN {printf "%.2f", a / b}')"
echo "server RSS after: $(awk '/VmRSS/ {print $2, $3}' /proc/$SRV/status)"
