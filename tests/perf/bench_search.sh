# bench_search.sh — the package_search part of `make bench`, sourced by tests/perf/bench.sh after
# the W1/W8 runs (it uses that script's functions, PostgreSQL, nginx and work directory).
#
# The catalogue of the W1 runs grows to BENCH_SEARCH_RECORDS datasets first: the generator's
# records after the first BENCH_RECORDS, imported by two opendata-import processes at once.
#   W2     package_search?q=WORD&facet.field=["organization","tags","res_format"]&rows=10, WORD
#          picked per request among the generator's q mix (words found in ~0.1% to ~9% of the
#          datasets) — ours, P (the server's statement and parameters of each word, from the
#          PostgreSQL log), N
#   W2b    package_search without parameters (the default page), answered from the cache
#          (search_cache.c: one read of the generation per batch of requests) — ours, N
#   W2b-f  the default page with the same facet.field — ours, N
#   W2b-u  the default page with the cache off (--search-cache-mb 0, a fresh server) — ours, P
#
# Knobs: BENCH_SEARCH_RECORDS (50000), BENCH_SEARCH_WARMUP (3), BENCH_W2_CONCS ("16"),
# BENCH_W2B_CONCS ("16 64"); repetitions at c=16 as BENCH_REPS, elsewhere 1. (Concurrencies
# beyond the goals' c=16 are few so that `make bench` stays near 20 minutes.)

SREC=${BENCH_SEARCH_RECORDS:-50000}
S_WARM=${BENCH_SEARCH_WARMUP:-3}
W2_CONCS=${BENCH_W2_CONCS:-"16"}
W2B_CONCS=${BENCH_W2B_CONCS:-"16 64"}
SQ=$T/search
mkdir -p "$SQ/pgb" "$WWW/q/api/3/action/package_search"
FACETS_ENC=%5B%22organization%22%2C%22tags%22%2C%22res_format%22%5D
SPATH=/api/3/action/package_search
meta search_records "$SREC"
meta search_warmup "$S_WARM"
meta w2_concs "$W2_CONCS"
meta w2b_concs "$W2B_CONCS"
meta loadavg_search "$(cut -d' ' -f1-3 /proc/loadavg)"

# the file nginx serves for a package_search path: q/<path>/_<raw query string>
sbody() {
    local q=
    case "$1" in *\?*) q=${1#*\?} ;; esac
    echo "$WWW/q${1%%\?*}/_$q"
}

# ---- the catalogue -----------------------------------------------------------------------------
log "W2: growing the catalogue from $NREC to $SREC records (two importers at once)"
python3 tests/perf/gen_catalog.py "$SQ/catalog.json" -n "$SREC" --seed 1 --q-mix "$SQ/qmix.txt"
python3 - "$SQ/catalog.json" "$NREC" "$SQ" <<'PY'
import json, sys
recs = json.load(open(sys.argv[1], encoding="utf-8"))[int(sys.argv[2]):]
for k, part in enumerate((recs[0::2], recs[1::2])):
    with open("%s/grow-%d.json" % (sys.argv[3], k), "w", encoding="utf-8") as f:
        json.dump(part, f, ensure_ascii=False)
PY
rm -f "$SQ/catalog.json"
s0=$(date +%s.%N)
"$T/app/bin/opendata-import" catalog "$SQ/grow-0.json" --db "$URI" >"$RAW/000-search-import-0.txt" 2>&1 &
imp0=$!
"$T/app/bin/opendata-import" catalog "$SQ/grow-1.json" --db "$URI" >"$RAW/000-search-import-1.txt" 2>&1 &
imp1=$!
wait "$imp0" || note "W2: the first importer exited with status $? (see the raw output)"
wait "$imp1" || note "W2: the second importer exited with status $? (see the raw output)"
s1=$(date +%s.%N)
meta search_import_s "$(awk -v a="$s0" -v b="$s1" 'BEGIN {printf "%.2f", b - a}')"
meta search_import_summary "$(tail -q -n 1 "$RAW/000-search-import-0.txt" "$RAW/000-search-import-1.txt" | paste -sd ';')"
psqlq -c "VACUUM ANALYZE" 2>/dev/null || true
meta search_n_package "$(psqlq -c "SELECT count(*) FROM package WHERE state = 'active'")"
meta search_n_resource "$(psqlq -c "SELECT count(*) FROM resource WHERE state = 'active'")"
meta search_n_tag "$(psqlq -c "SELECT count(*) FROM tag")"
meta search_db_size "$(psqlq -c "SELECT pg_size_pretty(pg_database_size('opendata'))")"
meta search_doc_size "$(psqlq -c "SELECT pg_size_pretty(pg_total_relation_size('ckan_search_doc'))")"

# ---- paths, the captured bodies and the server's statements ---------------------------------------
python3 - "$SQ/qmix.txt" "$SPATH" "$FACETS_ENC" >"$SQ/w2.txt" <<'PY'
import sys, urllib.parse
for w in open(sys.argv[1], encoding="utf-8").read().split():
    print("%s?q=%s&facet.field=%s&rows=10" % (sys.argv[2], urllib.parse.quote(w), sys.argv[3]))
PY
echo "$SPATH" >"$SQ/w2b.txt"
echo "$SPATH?facet.field=$FACETS_ENC" >"$SQ/w2b-f.txt"

start_server false "$T/server-search.log"
log "search server pid $SRV_PID"
mem_line "search server start"

log "W2: capturing bodies and the server's SQL"
declare -A S_BAD
# capture WL: each path once with statement logging; bodies into WWW; the log excerpt kept
s_capture() {
    local wl=$1 lines0
    lines0=$(wc -l <"$PGDIR/postgres.log")
    S_BAD[$wl]=$(capture "$wl" "$SQ/$wl.txt" sbody)
    sleep 0.5
    tail -n +"$((lines0 + 1))" "$PGDIR/postgres.log" >"$SQ/log-$wl.txt"
}
psqlq -c "ALTER SYSTEM SET log_min_duration_statement = 0" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
for wl in w2 w2b w2b-f; do s_capture "$wl"; done
psqlq -c "ALTER SYSTEM RESET log_min_duration_statement" -c "SELECT pg_reload_conf()" >/dev/null
python3 tests/perf/ds_tool.py pgb w2 "$SQ/log-w2.txt" "$(wc -l <"$SQ/w2.txt")" "$SQ/pgb" >>"$T/check.txt" ||
    S_BAD[w2]=$((S_BAD[w2] + 1))
{
    echo "# w2: $(head -n 1 "$SQ/w2.txt")"
    cat "$SQ/pgb/w2.stmt" 2>/dev/null
    for wl in w2b w2b-f; do
        echo "# $wl: $(head -n 1 "$SQ/$wl.txt") (first request: a miss)"
        grep -o 'execute [^:]*: .*' "$SQ/log-$wl.txt" | grep -v 'pg_reload_conf\|ALTER SYSTEM' | cut -c1-2000
    done
} >"$RAW/000-search-server-sql.txt"

# every body: the envelope, a count, at most 10 results, the facets asked for; the q mix's counts
python3 - "$WWW" "$SQ" "$SREC" >>"$T/check.txt" 2>"$SQ/counts.txt" <<'PY' || S_BAD[w2]=$((S_BAD[w2] + 1))
import json, os, sys, urllib.parse
www, sq, nrec = sys.argv[1], sys.argv[2], int(sys.argv[3])
bad = 0
def body(p):
    path, _, q = p.partition("?")
    return open(os.path.join(www, "q" + path, "_" + q), "rb").read()  # as sbody names it
for wl in ("w2", "w2b", "w2b-f"):
    sizes, counts = [], []
    for p in open(os.path.join(sq, wl + ".txt")).read().split():
        raw = body(p)
        sizes.append(len(raw))
        try:
            d = json.loads(raw)
            assert d["success"] is True
            res = d["result"]
            assert len(res["results"]) == min(10, res["count"]), "results"
            want = [] if wl == "w2b" else ["organization", "tags", "res_format"]
            assert list(res["facets"]) == want and list(res["search_facets"]) == want, "facets"
            counts.append(res["count"])
            if wl == "w2":
                q = urllib.parse.parse_qs(p.split("?", 1)[1])["q"][0]
                sys.stderr.write("%s\t%d\n" % (q, res["count"]))
        except Exception as e:
            bad += 1
            print("%s: %s: body does not check: %r" % (wl, p, e))
    print("%s: %d bodies parse (envelope, count, at most 10 results, facets); bytes min %d, max %d; "
          "count %s" % (wl, len(sizes), min(sizes), max(sizes),
                        "%d to %d" % (min(counts), max(counts)) if counts else "-"))
sys.exit(1 if bad else 0)
PY
meta w2_counts "$(awk -F'\t' -v n="$SREC" '{printf "%s%s %d (%.2f%%)", (NR > 1 ? ", " : ""), $1, $2, 100 * $2 / n}' "$SQ/counts.txt")"
meta w2b_bytes "$(stat -c %s "$(sbody "$SPATH")")"
meta w2bf_bytes "$(stat -c %s "$(sbody "$(cat "$SQ/w2b-f.txt")")")"

# P gives the server's result: the statement with the first word's parameters, by psql
psqlq -f "$SQ/pgb/w2.check.sql" >"$SQ/w2.psql.txt" 2>&1 || true
if python3 - "$(sbody "$(head -n 1 "$SQ/w2.txt")")" "$SQ/w2.psql.txt" <<'PY'; then
import sys
body, res = open(sys.argv[1], encoding="utf-8").read(), open(sys.argv[2], encoding="utf-8").read().rstrip("\n")
sys.exit(0 if res and body.endswith('"result":' + res + "}") else 1)
PY
    check "P w2: the result of the server's statement with the first word's parameters is the result in the server's body"
else
    check "P w2: the server's statement run by psql does not give the server's body"
    S_BAD[w2]=$((S_BAD[w2] + 1))
fi
# the same request again gives the same bytes: W2 recomputed, W2b and W2b-f from the cache
for wl in w2 w2b w2b-f; do
    p=$(head -n 1 "$SQ/$wl.txt")
    curl -s "http://127.0.0.1:$SPORT$p" | cmp -s - "$(sbody "$p")" ||
        { check "$wl: two answers to the same request differ"; S_BAD[$wl]=$((S_BAD[$wl] + 1)); }
done
check "w2b, w2b-f: the second answer (from the cache) is byte-identical to the first (computed)"
# nginx serves the same bytes
for wl in w2 w2b w2b-f; do
    nbad=0
    while read -r p; do
        curl -s "http://127.0.0.1:$NPORT$p" | cmp -s - "$(sbody "$p")" || nbad=$((nbad + 1))
    done <"$SQ/$wl.txt"
    n=$(wc -l <"$SQ/$wl.txt")
    check "N $wl: $((n - nbad))/$n nginx bodies byte-identical to ours"
    [ "$nbad" = 0 ] || S_BAD[$wl]=$((S_BAD[$wl] + 1))
done
for wl in w2 w2b w2b-f; do meta "bad_$wl" "${S_BAD[$wl]:-0}"; done
cat "$T/check.txt" >&2

# ---- timed runs --------------------------------------------------------------------------------
# s_run WL PATHS CONC REPS P_ARGS_FILE|-  (ours, then P if given, then N; each after a warm-up)
s_run() {
    local wl=$1 paths=$2 conc=$3 reps=$4 pfile=$5 pc r
    local -a PA=()
    [ "$pfile" != - ] && mapfile -d '' -t PA <"$pfile"
    log "$wl c=$conc: warm-up ${S_WARM}s each"
    run_wrk "$wl" ours "$conc" 0 "$paths" "$OURS" "$S_WARM" 0
    pc=$(server_conns)
    [ "$pc" -ge 1 ] 2>/dev/null || pc=$((THREADS * 2))
    [ "$pc" -gt "$conc" ] && pc=$conc
    [ ${#PA[@]} -gt 0 ] && run_pgb "$wl" "$conc" "$pc" 0 "$S_WARM" 0 "${PA[@]}"
    run_wrk "$wl" N "$conc" 0 "$paths" "$NGINX" "$S_WARM" 0
    for r in $(seq "$reps"); do
        run_wrk "$wl" ours "$conc" "$r" "$paths" "$OURS" "$DUR"
        [ ${#PA[@]} -gt 0 ] && run_pgb "$wl" "$conc" "$pc" "$r" "$DUR" 1 "${PA[@]}"
        run_wrk "$wl" N "$conc" "$r" "$paths" "$NGINX" "$DUR"
    done
    mem_line "after $wl c=$conc"
}
s_reps() { if [ "$1" = 16 ]; then echo "$REPS"; else echo "$REPS_OTHER"; fi; }

if [ "${S_BAD[w2]}" = 0 ]; then
    for c in $W2_CONCS; do s_run W2 "$SQ/w2.txt" "$c" "$(s_reps "$c")" "$SQ/pgb/w2.args"; done
else
    note "W2 not timed: the checks failed (see Checks)"
fi
if [ "${S_BAD[w2b]}" = 0 ]; then
    for c in $W2B_CONCS; do s_run W2b "$SQ/w2b.txt" "$c" "$(s_reps "$c")" -; done
else
    note "W2b not timed: the checks failed (see Checks)"
fi
[ "${S_BAD[w2b-f]}" = 0 ] && s_run W2b-f "$SQ/w2b-f.txt" 16 1 -
meta search_server_errors "$(grep -ci 'error' "$T/server-search.log" || true)"
stop_server

# ---- W2b-u: the default page computed for every request ------------------------------------------
if [ "${S_BAD[w2b]}" = 0 ]; then
    log "W2b-u: the default page with --search-cache-mb 0"
    start_server false "$T/server-search-nocache.log" --search-cache-mb 0
    psqlq -c "ALTER SYSTEM SET log_min_duration_statement = 0" -c "SELECT pg_reload_conf()" >/dev/null
    sleep 0.5
    lines0=$(wc -l <"$PGDIR/postgres.log")
    curl -s -o "$SQ/w2b-u.json" "http://127.0.0.1:$SPORT$SPATH"
    sleep 0.5
    tail -n +"$((lines0 + 1))" "$PGDIR/postgres.log" >"$SQ/log-w2b-u.txt"
    psqlq -c "ALTER SYSTEM RESET log_min_duration_statement" -c "SELECT pg_reload_conf()" >/dev/null
    if cmp -s "$SQ/w2b-u.json" "$(sbody "$SPATH")"; then
        check "w2b-u: the default page computed without the cache is byte-identical to the cached one"
    else
        check "w2b-u: the default page computed without the cache DIFFERS from the cached one"
    fi
    if python3 tests/perf/ds_tool.py pgb w2b-u "$SQ/log-w2b-u.txt" 1 "$SQ/pgb" >>"$T/check.txt"; then
        { echo "# w2b-u: $SPATH (--search-cache-mb 0)"; cat "$SQ/pgb/w2b-u.stmt"; } >>"$RAW/000-search-server-sql.txt"
        s_run W2b-u "$SQ/w2b.txt" 16 1 "$SQ/pgb/w2b-u.args"
    else
        note "W2b-u not timed: the server's statement was not found in the log"
    fi
    stop_server
fi
