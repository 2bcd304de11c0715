#!/usr/bin/env bash
# bench_pooler.sh — what PgBouncer costs: the same requests through a server on PostgreSQL
# itself, through one on a session pool and through one on a transaction pool (where every
# statement is unnamed: --db-pooler transaction), alternated, wrk -c16 each:
#
#   W1a  GET {sru}/rest/dataset/{identifier} of 100 datasets (one registered statement)
#   W1   GET package_show?id={name} of the same datasets
#   W3s  datastore_search with a filter on a 20,000-row table (generated SQL)
#
# Prints one line per workload: requests/s direct, session, transaction, and the ratios
# pooled / direct. Needs wrk, pgbouncer and PostgreSQL.
#   tests/perf/bench_pooler.sh [RECORDS=2000] [SECONDS=10] [REPS=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
N=${1:-2000} SECS=${2:-10} REPS=${3:-3}
for tool in wrk pgbouncer psql; do
    command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || { echo "bench_pooler: $tool missing" >&2; exit 2; }
done
PGB=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
T=$(mktemp -d /tmp/opendatad-pooler.XXXXXX)
chmod 777 "$T"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT_PG=$(port)
URI=$("$ROOT/scripts/pg-local.sh" start "$T/pg" "$PORT_PG" | tail -1)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -f "$T/pgbouncer.pid" ] && kill "$(cat "$T/pgbouncer.pid")" 2>/dev/null || true
    sleep 0.3
    "$ROOT/scripts/pg-local.sh" stop "$T/pg" >/dev/null 2>&1 || true
    rm -rf "$T"
}
trap cleanup EXIT
"$ROOT/bin/opendatad" db init --db "$URI" >/dev/null
/usr/bin/python3 tests/perf/gen_catalog.py "$T/cat.json" -n "$N" --seed 1 --ids "$T/ids.txt" >/dev/null
"$ROOT/bin/opendata-import" catalog "$T/cat.json" --db "$URI" --jobs 2 >/dev/null 2>&1
/usr/bin/python3 tests/perf/gen_rows.py "$T/rows.csv" -n 20000 >/dev/null
"$ROOT/bin/opendata-import" csv "$T/rows.csv" --resource-id pooler-rows \
    --dataset "$(head -n 1 "$T/ids.txt")" --db "$URI" >/dev/null 2>&1
psql -qX "$URI" -c "VACUUM ANALYZE" >/dev/null

# PgBouncer: a session pool as large as the server's connections, a transaction pool of 4
HOST=$(printf '%s' "$URI" | sed 's,^postgresql://postgres@,,; s,:[0-9]*/.*$,,; s,%2F,/,g')
PB=$(port)
cat >"$T/pgbouncer.ini" <<INI
[databases]
sess = host=$HOST port=$PORT_PG dbname=opendata user=postgres pool_mode=session pool_size=40
tx = host=$HOST port=$PORT_PG dbname=opendata user=postgres pool_mode=transaction pool_size=4
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PB
unix_socket_dir =
auth_type = any
max_client_conn = 500
logfile = $T/pgbouncer.log
pidfile = $T/pgbouncer.pid
INI
chmod 644 "$T/pgbouncer.ini"
if [ "$(id -u)" = 0 ]; then "$PGB" -d -u postgres "$T/pgbouncer.ini"; else "$PGB" -d "$T/pgbouncer.ini"; fi

serve() { # NAME DB [options]
    local name=$1 db=$2 p
    shift 2
    p=$(port)
    "$ROOT/bin/opendatad" serve --db "$db" --listen "127.0.0.1:$p" --threads 2 --access-log false \
        "$@" 2>"$T/$name.log" &
    PIDS+=($!)
    for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$p/api/3/action/status_show" && break; sleep 0.1; done
    eval "PORT_$name=$p"
}
serve direct "$URI"
serve session "postgresql://postgres@127.0.0.1:$PB/sess" --db-pooler session
serve transaction "postgresql://postgres@127.0.0.1:$PB/tx" --db-pooler transaction --db-direct "$URI"

head -n 100 "$T/ids.txt" | sed 's,^,/api/v1/rest/dataset/,' >"$T/w1a.txt"
head -n 100 "$T/ids.txt" | tr 'A-Z' 'a-z' | sed 's,^,/api/3/action/package_show?id=,' >"$T/w1.txt"
for d in $(seq 1 50); do
    printf '/api/3/action/datastore_search?resource_id=pooler-rows&filters=%%7B%%22district%%22%%3A%%22district_%d%%22%%7D&limit=100\n' "$d"
done >"$T/w3s.txt"
for f in w1a w1 w3s; do   # every path answers 200 through each server first
    for s in direct session transaction; do
        eval "p=\$PORT_$s"
        while read -r path; do
            c=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p$path")
            [ "$c" = 200 ] || { echo "bench_pooler: $s answered $c to $path" >&2; exit 1; }
        done <"$T/$f.txt"
    done
done

rps() { # PORT PATHS SECONDS
    wrk -t2 -c16 -d"$3s" -s "$ROOT/tests/perf/paths.lua" "http://127.0.0.1:$1" -- "$2" |
        awk '/^Requests\/sec/ {print $2}'
}
echo "records $N, wrk -t2 -c16 -d${SECS}s, $REPS rounds alternating direct, session, transaction; load $(cut -d' ' -f1 /proc/loadavg)"
for f in w1a w1 w3s; do
    for s in direct session transaction; do eval "p=\$PORT_$s"; rps "$p" "$T/$f.txt" 2 >/dev/null; done
    dsum=0 ssum=0 tsum=0
    for _ in $(seq "$REPS"); do
        d=$(rps "$PORT_direct" "$T/$f.txt" "$SECS")
        s=$(rps "$PORT_session" "$T/$f.txt" "$SECS")
        t=$(rps "$PORT_transaction" "$T/$f.txt" "$SECS")
        dsum=$(echo "$dsum + $d" | bc -l) ssum=$(echo "$ssum + $s" | bc -l) tsum=$(echo "$tsum + $t" | bc -l)
    done
    printf 'pooler %-4s direct %8.1f req/s   session %8.1f req/s (%.2f)   transaction %8.1f req/s (%.2f)\n' \
        "$f" "$(echo "$dsum / $REPS" | bc -l)" "$(echo "$ssum / $REPS" | bc -l)" \
        "$(echo "$ssum / $dsum" | bc -l)" "$(echo "$tsum / $REPS" | bc -l)" "$(echo "$tsum / $dsum" | bc -l)"
done
