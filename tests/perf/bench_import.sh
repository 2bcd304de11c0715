#!/usr/bin/env bash
# bench_import.sh — catalogue import speed: a fresh import of a generated catalogue into an empty
# database, then the same file again (every record unchanged), timed per checkout and repeated,
# the checkouts alternating so that each repetition meets the same load.
#
#   tests/perf/bench_import.sh [CHECKOUT[@JOBS]...]
#
# Each CHECKOUT is a built tree (bin/opendatad, bin/opendata-import, sql/, schemas/); default:
# this one. @JOBS runs its imports with --jobs JOBS (the same tree may be named with several).
# Knobs (environment): IMPORT_RECORDS (10000), IMPORT_REPS (3), IMPORT_SEED (1).
# Prints one line per run and, per checkout, the medians; records/s = records / seconds. The
# backend CPU time of an import is what the postmaster's reaped children (the import's
# backends, and any autovacuum worker that ended meanwhile) used during it.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
NREC=${IMPORT_RECORDS:-10000}
REPS=${IMPORT_REPS:-3}
SEED=${IMPORT_SEED:-1}
[ $# -gt 0 ] || set -- "$ROOT"

T=$(mktemp -d /tmp/opendata-bench-import.XXXXXX)
chmod 755 "$T"
PGDIR=$T/pg
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() {
    "$ROOT/scripts/pg-local.sh" stop "$PGDIR" >/dev/null 2>&1 || true
    rm -rf "$T"
}
trap cleanup EXIT

python3 tests/perf/gen_catalog.py "$T/catalog.json" -n "$NREC" --seed "$SEED"
URI=$("$ROOT/scripts/pg-local.sh" start "$PGDIR" "$PORT")
psqlq() { psql -XAtq "$URI" "$@"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.2f", b - a}'; }
# CPU seconds of the postmaster's reaped children (cutime + cstime of /proc/PID/stat).
children_cpu() {
    awk -v hz="$(getconf CLK_TCK)" '{sub(/.*\) /, ""); printf "%.2f", ($14 + $15) / hz}' \
        "/proc/$(head -n 1 "$PGDIR/data/postmaster.pid")/stat"
}
cpu_since() { sleep 0.5; awk -v a="$1" -v b="$(children_cpu)" 'BEGIN {printf "%.2f", b - a}'; }

: >"$T/runs.tsv"
for rep in $(seq "$REPS"); do
    k=0
    for arg in "$@"; do
        k=$((k + 1))
        tree=${arg%@*}
        jobs=()
        [ "$arg" = "$tree" ] || jobs=(--jobs "${arg##*@}")
        db=bench_import_$k
        psqlq -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
        url=${URI%/*}/$db
        "$tree/bin/opendatad" db init --db "$url" >/dev/null
        load=$(cut -d' ' -f1 /proc/loadavg)
        t0=$(now) c0=$(children_cpu)
        "$tree/bin/opendata-import" catalog "$T/catalog.json" --db "$url" "${jobs[@]}" \
            2>"$T/fresh.txt" || true
        fresh=$(since "$t0") fcpu=$(cpu_since "$c0")
        t0=$(now) c0=$(children_cpu)
        "$tree/bin/opendata-import" catalog "$T/catalog.json" --db "$url" "${jobs[@]}" \
            2>"$T/again.txt" || true
        again=$(since "$t0") acpu=$(cpu_since "$c0")
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$k" "$rep" "$fresh" "$again" "$load" "$fcpu" \
            "$acpu" >>"$T/runs.tsv"
        printf '%s rep %s: fresh %s s (%s; backend CPU %s s), unchanged %s s (%s; backend CPU %s s); load average %s\n' \
            "$arg" "$rep" "$fresh" "$(tail -n 1 "$T/fresh.txt")" "$fcpu" "$again" \
            "$(tail -n 1 "$T/again.txt")" "$acpu" "$load"
    done
done

k=0
for arg in "$@"; do
    k=$((k + 1))
    awk -F'\t' -v k="$k" -v n="$NREC" -v t="$arg" '
        $1 == k { f[++c] = $3; a[c] = $4; fc[c] = $6; ac[c] = $7 }
        function median(x, m,   i, j, y) {
            for (i = 1; i <= m; i++) y[i] = x[i]
            for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (y[j] < y[i]) { s = y[i]; y[i] = y[j]; y[j] = s }
            return m % 2 ? y[(m + 1) / 2] : (y[m / 2] + y[m / 2 + 1]) / 2
        }
        END {
            mf = median(f, c); ma = median(a, c)
            printf "%s: median of %d: fresh %.2f s = %.0f records/s (backend CPU %.2f ms a record); unchanged %.2f s = %.0f records/s (%.2f ms)\n", t, c, mf, n / mf, 1000 * median(fc, c) / n, ma, n / ma, 1000 * median(ac, c) / n
        }' "$T/runs.tsv"
done
