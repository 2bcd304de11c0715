#!/usr/bin/env bash
# bench_write.sh — the CKAN dataset writes side by side with pgbench of the same SQL (BENCH.md's
# protocol, ratio to P):
#
#   W9a  POST package_create of a dataset (3 tags, 2 extras, 2 resources, an organization),
#        each with a new name, by a sysadmin's token
#   W9b  POST package_update of the same dict over one of 200 such datasets picked at random
#
# P is `pgbench -n -M prepared` running what the server sends for one such request: the token's
# lookup (ckan_auth) and the action's function (ckan_package_create / ckan_package_update) with
# the same JSON as the server hands it ({"data": the dict}), each in its own transaction as the
# server runs them, with as many connections as the server held during its run (counted in
# pg_stat_activity). The JSON is a literal with
# the name's number put in by replace() where the server sends a parameter.
#
#   tests/perf/bench_write.sh            (after make all)
# Knobs: BW_RECORDS (catalogue imported first, 2000), BW_CONCS ("1 16"), BW_DURATION (10 s),
# BW_WARMUP (3 s), BW_REPS (3). Prints the runs and a table of medians and ratios.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
NREC=${BW_RECORDS:-2000}
CONCS=${BW_CONCS:-"1 16"}
DUR=${BW_DURATION:-10}
WARM=${BW_WARMUP:-3}
REPS=${BW_REPS:-3}
KEYS=200
SITE=http://127.0.0.1:5000

for tool in wrk pgbench psql python3; do
    command -v "$tool" >/dev/null || { echo "bench_write: $tool missing (make deps-bench)" >&2; exit 2; }
done
T=$(mktemp -d /tmp/opendata-bench-write.XXXXXX)
chmod 755 "$T"
PGDIR=$T/pg
SRV_PID=
cleanup() {
    [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
    "$ROOT/scripts/pg-local.sh" stop "$PGDIR" >/dev/null 2>&1 || true
    rm -rf "$T"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
log() { printf '[bench_write %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

PGPORT=$(free_port)
URI=$("$ROOT/scripts/pg-local.sh" start "$PGDIR" "$PGPORT")
psqlq() { psql -XAtq "$URI" "$@"; }
bin/opendatad db init --db "$URI" >/dev/null
python3 tests/perf/gen_catalog.py "$T/catalog.json" -n "$NREC" --seed 1
bin/opendata-import catalog "$T/catalog.json" --db "$URI" 2>/dev/null
TOKEN=$(bin/opendatad user add sam --sysadmin --db "$URI" | tail -n 1)
ORG=$(psqlq -c "SELECT name FROM grp WHERE is_organization AND state = 'active' ORDER BY name LIMIT 1")
HASH=$(psqlq -c "SELECT sha256(convert_to('$TOKEN', 'UTF8'))")
VIEWER=$(psqlq -c "SELECT viewer FROM ckan_auth('$HASH'::bytea)")

# The dataset dict; NAME and TITLE are filled per request.
dict() { # NAME TITLE
    printf '{"name":"%s","title":"%s","notes":"A dataset written by the benchmark, with a few lines of description.","owner_org":"%s","license_id":"cc-by","version":"1.0","author":"Bench","author_email":"bench@example.test","tags":[{"name":"bench"},{"name":"air quality"},{"name":"transport"}],"extras":[{"key":"source","value":"bench"},{"key":"level","value":"2"}],"resources":[{"name":"data.csv","url":"http://example.test/data.csv","format":"CSV","description":"The rows"},{"name":"api","url":"http://example.test/api","format":"JSON"}]}' \
        "$1" "$2" "$ORG"
}
dict "bw-{N}" "Benchmark dataset {N}" >"$T/create.json"
dict "bu-{K}" "Updated {N}" | sed 's/^{/{"id":"bu-{K}",/' >"$T/update.json"
echo /api/3/action/package_create >"$T/create.paths"
echo /api/3/action/package_update >"$T/update.paths"

# The datasets W9b updates, created through the server below.
PORT=$(free_port)
bin/opendatad serve --db "$URI" --listen "127.0.0.1:$PORT" --threads 2 --site-url "$SITE" \
    2>"$T/server.log" &
SRV_PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/api/3/action/status_show" >/dev/null && break; sleep 0.1; done
for k in $(seq "$KEYS"); do
    dict "bu-$k" "To update $k" | curl -sf -o /dev/null -H "Authorization: $TOKEN" \
        -H 'Content-Type: application/json' --data-binary @- \
        "http://127.0.0.1:$PORT/api/3/action/package_create" || { echo "bench_write: setup create failed" >&2; exit 1; }
done
# Check before timing: one create through each path gives the same dataset.
dict "check-one" "Check" | curl -sf -o "$T/check.json" -H "Authorization: $TOKEN" \
    -H 'Content-Type: application/json' --data-binary @- "http://127.0.0.1:$PORT/api/3/action/package_create"
sqlbody() { sed "s/'/''/g" "$1"; }
psqlq -c "SELECT ckan_package_create('{\"data\":$(dict check-two Check | sed "s/'/''/g")}'::jsonb, '$SITE', '$VIEWER'::ckan_viewer)" >"$T/check2.json"
python3 - "$T/check.json" "$T/check2.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["result"]
b = json.load(open(sys.argv[2]))
drop = {"id", "metadata_created", "metadata_modified"}
def norm(d):
    d = {k: v for k, v in d.items() if k not in drop}
    d["extras"] = [e for e in d["extras"] if e["key"] not in {"issued", "modified"}]
    d["resources"] = [{k: v for k, v in r.items() if k not in {"id", "package_id", "created", "metadata_modified", "last_modified"}} for r in d["resources"]]
    return json.dumps(d, sort_keys=True, indent=1).replace(d["name"], "NAME")
if norm(a) != norm(b):
    import difflib
    print("\n".join(difflib.unified_diff(norm(a).splitlines(), norm(b).splitlines(), lineterm="")))
    sys.exit("bench_write: the server and the SQL gave different datasets")
print("check: the server's package_create and the SQL's give the same dataset")
PY
sed 's/{K}/1/g; s/{N}/0/g' "$T/update.json" | curl -s -o "$T/check.json" -w '%{http_code}' -H "Authorization: $TOKEN" \
    -H 'Content-Type: application/json' --data-binary @- "http://127.0.0.1:$PORT/api/3/action/package_update" |
    grep -qx 200 || { echo "bench_write: package_update of the benchmark's dict failed: $(head -c 600 "$T/check.json")" >&2; exit 1; }

pgb_script() { # ACTION BODY_FILE
    {
        echo '\set n random(1, 1000000000000)'
        echo "\\set k random(1, $KEYS)"
        echo "SELECT user_id, name, sysadmin, viewer FROM ckan_auth('$HASH'::bytea);"
        printf "SELECT ckan_%s(replace(replace('{\"data\":%s}', '{N}', 'p' || :client_id || '-' || :n), '{K}', :k::text)::jsonb, '%s', '%s'::ckan_viewer);\n" \
            "$1" "$(sqlbody "$2")" "$SITE" "$VIEWER"
    } >"$T/$1.sql"
}
pgb_script package_create "$T/create.json"
pgb_script package_update "$T/update.json"

conns() { psqlq -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'opendatad'"; }
: >"$T/runs.tsv"
run() { # WORKLOAD ACTION CONC REP
    local w=$1 a=$2 c=$3 rep=$4 t=2 body
    [ "$c" -lt 2 ] && t=1
    body=$T/${a#package_}.json
    wrk -t"$t" -c"$c" -d"${WARM}s" -s tests/perf/paths.lua "http://127.0.0.1:$PORT" -- \
        "$T/${a#package_}.paths" "$body" "$KEYS" "Authorization: $TOKEN" >/dev/null 2>&1
    wrk -t"$t" -c"$c" -d"${DUR}s" -s tests/perf/paths.lua "http://127.0.0.1:$PORT" -- \
        "$T/${a#package_}.paths" "$body" "$KEYS" "Authorization: $TOKEN" >"$T/wrk.txt" 2>&1
    local ours bad n
    ours=$(awk '/^Requests\/sec:/ {print $2}' "$T/wrk.txt")
    bad=$(grep -o 'status=[0-9]*' "$T/wrk.txt" | cut -d= -f2)
    n=$(conns)
    [ "$n" -ge 1 ] || n=1
    [ "$n" -le "$c" ] || n=$c
    pgbench -n -M prepared -h "$PGDIR" -p "$PGPORT" -U postgres -c "$n" -j "$n" -T "$WARM" \
        -f "$T/$a.sql" opendata >/dev/null 2>&1 || true
    pgbench -n -M prepared -h "$PGDIR" -p "$PGPORT" -U postgres -c "$n" -j "$n" -T "$DUR" \
        -f "$T/$a.sql" opendata >"$T/pgb.txt" 2>&1 || true
    local p
    p=$(awk '/^tps = / {print $3}' "$T/pgb.txt" | tail -n 1)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$w" "$c" "$rep" "$ours" "$p" "$n" "${bad:-?}" >>"$T/runs.tsv"
    log "$w c=$c rep $rep: ours $ours req/s (non-2xx ${bad:-?}), P $p tps on $n connections; load $(cut -d' ' -f1 /proc/loadavg)"
}
for rep in $(seq "$REPS"); do
    for c in $CONCS; do
        run W9a package_create "$c" "$rep"
        run W9b package_update "$c" "$rep"
    done
done

echo
echo "| workload | c | ours req/s | P tps (conns) | ours / P | non-2xx |"
echo "|---|---|---|---|---|---|"
awk -F'\t' '
    { k = $1 "\t" $2; n[k]++; o[k, n[k]] = $4; p[k, n[k]] = $5; cn[k] = $6; bad[k] += $7; if (!(k in seen)) { seen[k] = 1; order[++m] = k } }
    function med(a, k, c,   i, j, t, v) {
        for (i = 1; i <= c; i++) v[i] = a[k, i]
        for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
        return c % 2 ? v[(c + 1) / 2] : (v[c / 2] + v[c / 2 + 1]) / 2
    }
    END {
        for (i = 1; i <= m; i++) {
            k = order[i]; split(k, f, "\t")
            mo = med(o, k, n[k]); mp = med(p, k, n[k])
            printf "| %s %s | %s | %.0f | %.0f (%s) | %.2f | %d |\n", f[1], (f[1] == "W9a" ? "package_create" : "package_update"), f[2], mo, mp, cn[k], (mp > 0 ? mo / mp : 0), bad[k]
        }
    }' "$T/runs.tsv"
echo
echo "medians of $REPS runs of ${DUR} s; $NREC datasets imported first; $(nproc) cores shared by wrk, the server, PostgreSQL and pgbench; commit $(git rev-parse --short HEAD 2>/dev/null || echo ?)"
