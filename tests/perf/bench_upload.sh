#!/usr/bin/env bash
# bench_upload.sh — an uploaded CSV until queryable, side by side with opendata-import of the
# same file (docs/BENCHMARKS.md, "Uploads"). The 1M × 10 CSV of tests/perf/gen_rows.py, into
# two resources of the demo catalogue, alternating, UPLOAD_REPS times:
#
#   import  opendata-import csv FILE RID_A: until queryable (the table's data_version moved:
#           the swap committed) and until it exits (indexes built, raw-file version stored)
#   upload  the file POSTed as a multipart `upload` part to a CKAN action (the edge spools it
#           to an unnamed file in --upload-dir: the upload's own cost), then xloader_submit of
#           RID_B, whose stored upload is that file: until queryable (as above) and until
#           xloader_status says complete (the same library, on the server's load thread). The file is put in the store
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

version() { psqlq -c "SELECT coalesce(max(data_version), 0) FROM datastore_table WHERE resource_id = '$1'"; }
# seconds from $2 until resource $1's table is at a data_version above $3 (the swap committed)
queryable() {
    while [ "$(version "$1")" -le "$3" ]; do sleep 0.05; done
    since "$2"
}
# the task's state read the way xloader_status reads it, by psql as the other polls (a python
# per poll would take a share of the 2 cores from the load being timed)
status() { psqlq -c "SELECT state FROM xloader_task WHERE resource_id = '$1'"; }

QI=() FI=() SP=() QL=() FL=() QU=() FU=()
for rep in $(seq "$REPS"); do
    v=$(version "$RID_A")
    t0=$(now)
    bin/opendata-import csv "$T/rows.csv" --resource-id "$RID_A" --db "$URI" >/dev/null 2>"$T/import.txt" &
    imp=$!
    qi=$(queryable "$RID_A" "$t0" "$v")
    wait "$imp"
    fi=$(since "$t0")
    t0=$(now)
    curl -fsS -o /dev/null -F "upload=@$T/rows.csv;type=text/csv" "$BASE/api/3/action/status_show"
    sp=$(since "$t0")
    cp "$T/rows.csv" "$DIR/$SHA.tmp" && mv "$DIR/$SHA.tmp" "$DIR/$SHA"
    v=$(version "$RID_B")
    t0=$(now)
    action xloader_submit "$RID_B" | grep -Eq '"result": ?true'
    ql=$(queryable "$RID_B" "$t0" "$v")
    while st=$(status "$RID_B"); [ "$st" = pending ] || [ "$st" = running ]; do sleep 0.2; done
    fl=$(since "$t0")
    [ "$st" = complete ] || { echo "load of $RID_B: $st" >&2; exit 1; }
    [ "$(rows_of "$RID_A")" = "$ROWS" ] && [ "$(rows_of "$RID_B")" = "$ROWS" ] ||
        { echo "row counts differ: $(rows_of "$RID_A") $(rows_of "$RID_B")" >&2; exit 1; }
    qu=$(awk -v a="$sp" -v b="$ql" 'BEGIN {printf "%.2f", a + b}')
    fu=$(awk -v a="$sp" -v b="$fl" 'BEGIN {printf "%.2f", a + b}')
    echo "rep $rep: import queryable ${qi}s, done ${fi}s | upload ${sp}s + load queryable ${ql}s" \
         "(= ${qu}s), done ${fl}s (= ${fu}s) | load avg $(cut -d' ' -f1 /proc/loadavg)"
    QI+=("$qi") FI+=("$fi") SP+=("$sp") QL+=("$ql") FL+=("$fl") QU+=("$qu") FU+=("$fu")
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
mqi=$(median "${QI[@]}") mfi=$(median "${FI[@]}") msp=$(median "${SP[@]}")
mql=$(median "${QL[@]}") mfl=$(median "${FL[@]}") mqu=$(median "${QU[@]}") mfu=$(median "${FU[@]}")
echo "rows $ROWS, file $SIZE bytes, $REPS repetitions (medians)"
echo "until queryable: import ${mqi}s; upload ${msp}s + xloader ${mql}s = ${mqu}s; ratio $(ratio "$mqu" "$mqi")"
echo "until done (indexes, version): import ${mfi}s; upload ${msp}s + xloader ${mfl}s = ${mfu}s;" \
     "ratio $(ratio "$mfu" "$mfi")"
echo "server RSS after: $(awk '/VmRSS/ {print $2, $3}' /proc/$SRV/status)"
