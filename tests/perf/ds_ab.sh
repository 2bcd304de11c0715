#!/usr/bin/env bash
# ds_ab.sh — W3 and W4 (BENCH.md) for the two datastore read paths, side by side, on a database
# that already holds the generated 1M-row table (tests/perf/bench_ds.sh makes one; or
# gen_rows.py -n 1000000 --seed 1 + opendata-import csv + VACUUM ANALYZE):
#   new  the server as built (prepared statement per request shape, server/datastore/ds_read.c)
#   old  the same binary with --datastore-prepared false (the same SQL, unprepared; before
#        sql/migrations/018 this was the PL/pgSQL functions)
#   P    pgbench -M prepared running each path's own statements (from the PostgreSQL log)
#   H    the hand-written statement (tests/perf/ds_tool.py hand)
#   N    nginx serving the identical bytes;  L = 1/(1/P + 1/N)
# Per concurrency and repetition, every system runs back to back (ours-new, P-new, ours-old,
# P-old, H, N). Prints the medians and ratios; raw outputs stay in OUTDIR. pgbench -c = the
# connections the server holds after the warm-up (at most the wrk -c), H with P-new's.
#
#   tests/perf/ds_ab.sh PGDIR PGPORT RID OUTDIR
# Knobs: AB_REPS (3), AB_DUR (10 s), AB_WARM (2 s), AB_CONCS ("1 16"), AB_WLS ("w3 w4"),
# AB_MIX=1 (the SQL only, interleaved: see below).
set -euo pipefail
cd "$(dirname "$0")/../.."
PGDIR=$1 PGPORT=$2 RID=$3 OUT=$4
REPS=${AB_REPS:-3} DUR=${AB_DUR:-10} WARM=${AB_WARM:-2} CONCS=${AB_CONCS:-"1 16"}
WLS=${AB_WLS:-"w3 w4"}
mkdir -p "$OUT/pgb" "$OUT/raw" "$OUT/ngx/logs" "$OUT/ngx/tmp"
chmod 755 "$OUT"
URI="postgresql://postgres@$(printf '%s' "$PGDIR" | sed 's,/,%2F,g'):$PGPORT/opendata"
psqlq() { psql -XAtq -h "$PGDIR" -p "$PGPORT" -U postgres -d opendata "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
log() { printf '[ds_ab %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
. tests/perf/nginx_conf.sh
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

declare -A PORT APP
start() { # NAME server-options...
    local name=$1 port
    shift
    port=$(free_port)
    PORT[$name]=$port
    APP[$name]=opendatad-$name
    bin/opendatad serve --db "$URI?application_name=opendatad-$name" --listen "127.0.0.1:$port" \
        --threads 2 --access-log false "$@" 2>"$OUT/server-$name.log" &
    PIDS+=($!)
    for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/api/3/action/status_show" && return; sleep 0.1; done
    echo "ds_ab: server $name did not start" >&2
    exit 1
}
start new
start old --datastore-prepared false
python3 tests/perf/ds_tool.py paths "$RID" "$OUT"
psqlq -F $'\t' -c "SELECT f->>'id', f->>'type' FROM datastore_table, jsonb_array_elements(fields) f WHERE resource_id = '$RID'" >"$OUT/cols.tsv"

# capture: each path once to warm, then once more with statement logging → pgbench scripts
WWW=$OUT/ngx/www
pglog=$PGDIR/postgres.log
for wl in $WLS; do
    for sys in new old; do
        while read -r p; do curl -s -o /dev/null "http://127.0.0.1:${PORT[$sys]}$p"; done <"$OUT/$wl.txt"
        psqlq -c "ALTER SYSTEM SET log_min_duration_statement = 0" -c "SELECT pg_reload_conf()" >/dev/null
        sleep 0.3
        l0=$(wc -l <"$pglog")
        while read -r p; do
            f=$(python3 tests/perf/ds_tool.py body "$WWW" "$p")
            mkdir -p "$(dirname "$f")"
            curl -s -o "$f.$sys" "http://127.0.0.1:${PORT[$sys]}$p"
        done <"$OUT/$wl.txt"
        sleep 0.3
        psqlq -c "ALTER SYSTEM RESET log_min_duration_statement" -c "SELECT pg_reload_conf()" >/dev/null
        tail -n +"$((l0 + 1))" "$pglog" >"$OUT/log-$sys-$wl.txt"
        python3 tests/perf/ds_tool.py pgb "$sys-$wl" "$OUT/log-$sys-$wl.txt" "$(wc -l <"$OUT/$wl.txt")" "$OUT/pgb" >&2
    done
    # both paths give the same bytes; nginx serves them
    while read -r p; do
        f=$(python3 tests/perf/ds_tool.py body "$WWW" "$p")
        cmp -s "$f.new" "$f.old" || { echo "ds_ab: new and old answer $p differently" >&2; exit 1; }
        mv "$f.new" "$f"
        rm -f "$f.old"
    done <"$OUT/$wl.txt"
done
python3 tests/perf/ds_tool.py hand h-w3 "$RID" "$OUT/cols.tsv" "$OUT/districts.txt" ckan "$OUT/pgb"
python3 tests/perf/ds_tool.py hand h-w4 "$RID" "$OUT/cols.tsv" "$OUT/districts.txt" tw "$OUT/pgb"

NPORT=$(free_port)
NG=$OUT/ngx
ctype() { curl -s -o /dev/null -w '%{content_type}' "http://127.0.0.1:${PORT[new]}$(head -n 1 "$OUT/$1.txt")"; }
nginx_conf "$NG" "$WWW" "$NPORT" "$(ctype w4)" "$(ctype w3)" # Taiwan, CKAN
chmod -R a+rX "$NG"
nginx -p "$NG" -c "$NG/nginx.conf"
sleep 0.5
PIDS+=("$(cat "$NG/nginx.pid")")
for wl in $WLS; do
    p=$(head -n 1 "$OUT/$wl.txt")
    curl -s "http://127.0.0.1:$NPORT$p" | cmp -s - "$(python3 tests/perf/ds_tool.py body "$WWW" "$p")" ||
        { echo "ds_ab: nginx does not serve the captured bytes" >&2; exit 1; }
done

# AB_MIX=1: instead of the timed runs, P-old, P-new and H interleaved in ONE pgbench run per
# repetition (each transaction picks one of their scripts at random), so that all three meet
# the same load; prints each one's mean latency and the ratios (robust on a shared machine).
if [ "${AB_MIX:-0}" = 1 ]; then
    for wl in $WLS; do
        for c in $CONCS; do
            pc=$c # (here AB_CONCS are pgbench's -c: e.g. "1 9", 9 being what the server holds at wrk -c16)
            for r in $(seq "$REPS"); do
                A=()
                for n in old-$wl new-$wl h-$wl; do mapfile -d '' -t B <"$OUT/pgb/$n.args"; A+=("${B[@]}"); done
                PGOPTIONS="-c plan_cache_mode=force_generic_plan" pgbench -n -M prepared -h "$PGDIR" \
                    -p "$PGPORT" -U postgres -c "$pc" -j "$([ "$pc" -gt 1 ] && echo 2 || echo 1)" \
                    -T "$DUR" "${A[@]}" opendata >"$OUT/raw/mix-$wl-c$c-r$r.txt" 2>&1
                log "mix $wl c=$c (pgbench -c $pc) rep $r done (load $(cut -d' ' -f1 /proc/loadavg))"
            done
        done
    done
    python3 - "$OUT/raw" <<'PY'
import glob, os, re, statistics, sys
rows = {}
for f in sorted(glob.glob(os.path.join(sys.argv[1], "mix-*.txt"))):
    wl, c, r = re.match(r"mix-(\w+)-c(\d+)-r(\d+)\.txt", os.path.basename(f)).groups()
    lat, cur, tx = {}, None, 0
    for line in open(f):
        m = re.match(r"SQL script \d+: .*/(old|new|h)-\w+-\d+\.sql", line)
        if m:
            cur = m.group(1)
        elif cur and "transactions (" in line:
            tx = int(line.split()[1])
        elif cur and "latency average" in line:
            s, n = lat.get(cur, (0.0, 0))
            lat[cur] = (s + float(line.split()[4]) * tx, n + tx)
    rows.setdefault((wl, int(c)), []).append({k: s / n for k, (s, n) in lat.items()})
print("| wl | c | P-old ms | P-new ms | H ms | **P-new / H** | P-old / H | P-new / P-old |")
print("|" + "---|" * 8)
for (wl, c), reps in sorted(rows.items()):
    med = lambda f: statistics.median(f(x) for x in reps)
    print(f"| {wl} | {c} | {med(lambda x: x['old']):.2f} | {med(lambda x: x['new']):.2f} | "
          f"{med(lambda x: x['h']):.2f} | **{med(lambda x: x['h'] / x['new']):.2f}** | "
          f"{med(lambda x: x['h'] / x['old']):.2f} | {med(lambda x: x['old'] / x['new']):.2f} |")
PY
    exit 0
fi

RES=$OUT/results.tsv # wl conc rep system value(req/s or tps) p50 p99
: >"$RES"
conns() { psqlq -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = '${APP[$1]}'"; }
wrk_run() { # WL SYS CONC REP URL DUR
    local raw=$OUT/raw/$1-$2-c$3-r$4.txt t=2
    [ "$3" -lt 2 ] && t=1
    wrk -t$t -c"$3" -d"$6s" --latency --timeout 10s -s tests/perf/paths.lua "$5" -- "$OUT/$1.txt" >"$raw" 2>&1
    [ "$4" = 0 ] && return
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$3" "$4" "$2" "$(awk '/^Requests\/sec:/ {print $2}' "$raw")" \
        "$(awk '$1 == "50%" {print $2}' "$raw")" "$(awk '$1 == "99%" {print $2}' "$raw")" >>"$RES"
    grep -q "Non-2xx" "$raw" && echo "ds_ab: non-2xx answers in $raw" >&2 || true
}
pgb_run() { # WL SYS CONC REP PGBENCH_C DUR ARGSFILE
    local raw=$OUT/raw/$1-$2-c$3-r$4.txt j=2 A
    [ "$5" -lt 2 ] && j=1
    mapfile -d '' -t A <"$7"
    # P-new and H: each of the 32 scripts is its own prepared statement per pgbench connection,
    # planned as custom plans 5 times before PostgreSQL settles on the generic plan (up to 20% of
    # a 10 s run at -c 9); the server runs one statement per connection and is past that at
    # once, so these two start from the generic plan. P-old plans in EXECUTE anyway.
    local opts=
    [ "$2" = P-old ] || opts="-c plan_cache_mode=force_generic_plan"
    PGOPTIONS=$opts pgbench -n -M prepared -h "$PGDIR" -p "$PGPORT" -U postgres -c "$5" -j $j -T "$6" "${A[@]}" opendata 2>&1 |
        grep -v '^ - \|^SQL script' >"$raw"
    [ "$4" = 0 ] && return
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$3" "$4" "$2" "$(awk '/^tps = / {print $3}' "$raw")" \
        "$(awk '/^latency average/ {print $4}' "$raw")" "-pgbench-c$5" >>"$RES"
}
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" >"$OUT/load.txt"
for wl in $WLS; do
    for c in $CONCS; do
        log "$wl c=$c: warm-up"
        wrk_run "$wl" new "$c" 0 "http://127.0.0.1:${PORT[new]}" "$WARM"
        wrk_run "$wl" old "$c" 0 "http://127.0.0.1:${PORT[old]}" "$WARM"
        pn=$(conns new) po=$(conns old)
        [ "$pn" -gt "$c" ] && pn=$c
        [ "$po" -gt "$c" ] && po=$c
        for sys in new old; do pgb_run "$wl" "P-$sys" "$c" 0 "$([ $sys = new ] && echo "$pn" || echo "$po")" "$WARM" "$OUT/pgb/$sys-$wl.args"; done
        pgb_run "$wl" H "$c" 0 "$pn" "$WARM" "$OUT/pgb/h-$wl.args"
        for r in $(seq "$REPS"); do
            log "$wl c=$c rep $r (load $(cut -d' ' -f1 /proc/loadavg))"
            wrk_run "$wl" ours-new "$c" "$r" "http://127.0.0.1:${PORT[new]}" "$DUR"
            pgb_run "$wl" P-new "$c" "$r" "$pn" "$DUR" "$OUT/pgb/new-$wl.args"
            wrk_run "$wl" ours-old "$c" "$r" "http://127.0.0.1:${PORT[old]}" "$DUR"
            pgb_run "$wl" P-old "$c" "$r" "$po" "$DUR" "$OUT/pgb/old-$wl.args"
            pgb_run "$wl" H "$c" "$r" "$pn" "$DUR" "$OUT/pgb/h-$wl.args"
            wrk_run "$wl" N "$c" "$r" "http://127.0.0.1:$NPORT" "$DUR"
        done
    done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/load.txt"
cat "$OUT/load.txt"
python3 - "$RES" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)
lat = collections.defaultdict(list)
pgc = {}
for line in open(sys.argv[1]):
    wl, c, r, sysname, v, p50, p99 = line.rstrip("\n").split("\t")
    runs[wl, int(c), sysname].append(float(v or 0))
    if sysname.startswith("ours"):
        lat[wl, int(c), sysname].append((p50, p99))
    elif p99.startswith("-pgbench-c"):
        pgc[wl, int(c), sysname] = p99[len("-pgbench-c"):]
med = lambda k: statistics.median(runs[k]) if runs[k] else float("nan")
print("| wl | c | ours new req/s | ours old req/s | P new tps | P old tps | H tps | N req/s | "
      "**P new / H** | P old / H | **new / L(new)** | old / L(old) | new / old | new p50 / p99 |")
print("|" + "---|" * 14)
for (wl, c) in sorted({(k[0], k[1]) for k in runs}):
    g = lambda s: med((wl, c, s))
    on, oo, pn, po, h, n = g("ours-new"), g("ours-old"), g("P-new"), g("P-old"), g("H"), g("N")
    ln, lo = 1 / (1 / pn + 1 / n), 1 / (1 / po + 1 / n)
    l50 = sorted(lat[wl, c, "ours-new"], key=lambda x: float(x[0].rstrip("ms")))
    pl = lat[wl, c, "ours-new"][len(l50) // 2] if l50 else ("-", "-")
    print(f"| {wl} | {c} | {on:,.0f} | {oo:,.0f} | {pn:,.0f} (-c {pgc.get((wl, c, 'P-new'))}) | "
          f"{po:,.0f} (-c {pgc.get((wl, c, 'P-old'))}) | {h:,.0f} | {n:,.0f} | **{pn / h:.2f}** | "
          f"{po / h:.2f} | **{on / ln:.2f}** | {oo / lo:.2f} | {on / oo:.2f} | {pl[0]} / {pl[1]} |")
print()
print("all runs:", {f"{k[0]} c{k[1]} {k[2]}": v for k, v in sorted(runs.items())})
PY
