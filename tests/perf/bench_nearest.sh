#!/usr/bin/env bash
# bench_nearest.sh — datastore_nearest limit 10 on 100,000 points (hand-run; figures in
# docs/BENCHMARKS.md), side by side with P: pgbench -n -M prepared running the identical SQL
# the server sends (`SELECT ckan_datastore_nearest($1::jsonb, $2::ckan_viewer)` with the same
# JSON, checked in the PostgreSQL log), same Unix socket, -c = the connections the server
# holds. Points: uniform in Hong Kong's bounding box (seeded), loaded by opendata-import (which
# builds the GiST index); requests: 64 random points, the same for both.
#
#   tests/perf/bench_nearest.sh [OUTDIR]
# Knobs: NB_POINTS (100000), NB_REPS (3), NB_DUR (10 s), NB_WARM (3 s), NB_CONCS ("1 16").
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
N=${NB_POINTS:-100000} REPS=${NB_REPS:-3} DUR=${NB_DUR:-10} WARM=${NB_WARM:-3}
CONCS=${NB_CONCS:-"1 16"}
T=${1:-$(mktemp -d /tmp/opendatad-nearest.XXXXXX)}
mkdir -p "$T/pgb"
chmod 755 "$T"
PGDIR=$T/pg PGPORT=5498 RID=nearest-100k SRV=
log() { printf '[nearest %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
cleanup() {
    set +e
    [ -n "$SRV" ] && kill "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null
    "$ROOT/scripts/pg-local.sh" stop "$PGDIR" >/dev/null 2>&1
}
trap cleanup EXIT
URI=$("$ROOT/scripts/pg-local.sh" start "$PGDIR" "$PGPORT")
psqlq() { psql -XAtq -h "$PGDIR" -p "$PGPORT" -U postgres -d opendata "$@"; }
psql -XAtq -h "$PGDIR" -p "$PGPORT" -U postgres -d postgres -c "DROP DATABASE IF EXISTS opendata" \
    -c "CREATE DATABASE opendata" >/dev/null
bin/opendatad db init --db "$URI" >/dev/null
bin/opendata-import catalog docs/demo/catalog.json --db "$URI" >/dev/null
python3 - "$N" "$T/points.csv" "$T/queries.tsv" <<'EOF'
import csv, random, sys
n, out, queries = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rnd = random.Random(1)
with open(out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["name", "kind", "latitude", "longitude"])
    for i in range(n):
        w.writerow([f"point {i}", rnd.choice(["school", "clinic", "park", "toilet"]),
                    round(rnd.uniform(22.15, 22.56), 6), round(rnd.uniform(113.83, 114.44), 6)])
with open(queries, "w") as f:
    for _ in range(64):
        f.write(f"{rnd.uniform(22.2, 22.5):.6f}\t{rnd.uniform(113.9, 114.4):.6f}\n")
EOF
log "importing $N points"
bin/opendata-import csv "$T/points.csv" --resource-id "$RID" --dataset A62000000A-000001 --db "$URI" >/dev/null
psqlq -c "VACUUM ANALYZE datastore.\"$RID\"" >/dev/null
psqlq -c "SELECT indexname FROM pg_indexes WHERE tablename = '$RID'" | grep -q _geo ||
    { echo "bench_nearest: no spatial index" >&2; exit 1; }

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
bin/opendatad serve --db "$URI" --listen "127.0.0.1:$PORT" --threads 2 --access-log false 2>"$T/server.log" &
SRV=$!
for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/api/3/action/status_show" && break; sleep 0.1; done
: >"$T/paths.txt"
while IFS=$'\t' read -r lat lon; do
    echo "/api/3/action/datastore_nearest?resource_id=$RID&lat=$lat&lon=$lon&limit=10" >>"$T/paths.txt"
done <"$T/queries.tsv"

# the SQL the server sends, from the PostgreSQL log, as one pgbench script per request
psqlq -c "ALTER SYSTEM SET log_min_duration_statement = 0" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
l0=$(wc -l <"$PGDIR/postgres.log")
i=0
while read -r p; do
    curl -s -o "$T/body.$i" "http://127.0.0.1:$PORT$p"
    grep -q '"_distance_m"' "$T/body.$i" || { echo "bench_nearest: $p: $(head -c 300 "$T/body.$i")" >&2; exit 1; }
    i=$((i + 1))
done <"$T/paths.txt"
sleep 0.5
psqlq -c "ALTER SYSTEM RESET log_min_duration_statement" -c "SELECT pg_reload_conf()" >/dev/null
tail -n +"$((l0 + 1))" "$PGDIR/postgres.log" >"$T/sql.log"
python3 - "$T/sql.log" "$T/pgb" "$i" <<'EOF'
import re, sys
log, out, want = open(sys.argv[1], encoding="utf-8").read(), sys.argv[2], int(sys.argv[3])
# execute <name>: SELECT '{"resource_id": ' || ... FROM ds_readable($1::text, ...) ...
# DETAIL:  Parameters: $1 = 'nearest-100k', $2 = NULL, $3 = '1', $4 = '22.3', $5 = '114.1'
stmts = re.findall(r"execute [^:]*: (SELECT .*? FROM ds_readable\(.*)\n[^\n]*DETAIL:\s+"
                   r"[Pp]arameters: ([^\n]*)", log)
if len(stmts) != want:
    sys.exit(f"bench_nearest: {len(stmts)} statements in the log, {want} requests")
for k, (sql, params) in enumerate(stmts):
    values = re.findall(r"\$(\d+) = (NULL|'(?:[^']|'')*')", params)
    for n, v in sorted(values, key=lambda x: -int(x[0])):
        sql = sql.replace(f"${n}", v)
    with open(f"{out}/q{k}.sql", "w") as f:
        f.write(sql + ";\n")
EOF
# the bodies and the statement's own answer agree (the same rows)
psqlq -f "$T/pgb/q0.sql" >"$T/sql.0"
python3 - "$T/body.0" "$T/sql.0" <<'EOF'
import json, sys
a = json.load(open(sys.argv[1]))["result"]
b = json.loads(open(sys.argv[2]).read())
assert a["records"] == b["records"] and len(a["records"]) == 10, "server and SQL differ"
EOF

conns() { psqlq -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'opendatad'" | tr -dc 0-9; }
scripts=()
for f in "$T"/pgb/q*.sql; do scripts+=(-f "$f"); done
printf 'c\trep\tours_rps\tours_p50_ms\tours_p99_ms\tP_tps\tratio\tpgbench_c\n' >"$T/results.tsv"
for c in $CONCS; do
    wt=$((c < 2 ? 1 : 2))
    wrk -t"$wt" -c"$c" -d"${WARM}s" -s tests/perf/paths.lua "http://127.0.0.1:$PORT" -- "$T/paths.txt" >/dev/null
    pc=$(conns)
    [ "$pc" -gt "$c" ] && pc=$c
    [ "$pc" -lt 1 ] && pc=1
    for rep in $(seq "$REPS"); do
        wrk -t"$wt" -c"$c" -d"${DUR}s" --latency -s tests/perf/paths.lua "http://127.0.0.1:$PORT" -- \
            "$T/paths.txt" >"$T/wrk-$c-$rep.txt"
        now=$(conns) # the pool may have grown during the run
        [ "$now" -gt "$pc" ] && [ "$now" -le "$c" ] && pc=$now
        pgbench -n -M prepared -h "$PGDIR" -p "$PGPORT" -U postgres -c "$pc" -j "$pc" -T "$DUR" \
            "${scripts[@]}" opendata >"$T/pgbench-$c-$rep.txt" 2>&1
        python3 - "$T/wrk-$c-$rep.txt" "$T/pgbench-$c-$rep.txt" "$c" "$rep" "$pc" >>"$T/results.tsv" <<'EOF'
import re, sys
w, p, c, rep, pc = open(sys.argv[1]).read(), open(sys.argv[2]).read(), *sys.argv[3:]
r = dict(kv.split("=") for kv in re.search(r"BENCH_RESULT (.*)", w).group(1).split())
assert r["status"] == "0", "non-2xx answers"
rps = int(r["requests"]) / (int(r["duration_us"]) / 1e6)
tps = float(re.search(r"tps = ([0-9.]+)", p).group(1))
print(f"{c}\t{rep}\t{rps:.0f}\t{int(r['p50_us'])/1000:.2f}\t{int(r['p99_us'])/1000:.2f}\t{tps:.0f}"
      f"\t{rps/tps:.2f}\t{pc}")
EOF
        log "c=$c rep=$rep: $(tail -n 1 "$T/results.tsv")"
    done
done
cat "$T/results.tsv"
echo "raw outputs: $T"
