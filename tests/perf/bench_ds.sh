# bench_ds.sh — the DataStore part of `make bench`, sourced by tests/perf/bench.sh after the
# W1/W8 runs (it uses that script's functions, PostgreSQL, nginx and work directory).
#
#   W6   opendata-import csv of the generated 1M × 10 CSV (tests/perf/gen_rows.py) until
#        queryable (the swap committed), then the indexes built after the swap, vs psql \copy
#        into a fresh typed table + primary key + ANALYZE (one stream, and two streams)
#   W3   datastore_search filters={"district": D}, sort=_id, limit=100 (32 values of D, each
#        matching ~1/368 of the rows) — ours, P, N, and H (a hand-written single statement
#        giving the same rows, JSON and exact count)
#        + the same with limit=50 and 55 at c=1 (bodies just under / over 16 KiB)
#   W3b  the same with offset=900000 (past the matches), and unfiltered offset=900000 with
#        sort=_id and without sort
#   W3c  datastore_search limit=32000 vs \copy of the same query; server RSS
#   W4   Taiwan rest/datastore/{rid}?filters=...&sort=_id&limit=100 — ours, P, N, H
#   W5   first request of the Taiwan csv dump zip (c=1 and c=4) vs psql \copy | zip -1 and
#        COPY alone; unzip -t, rows equal to COPY's; server RSS
#   W5b  the cached dump vs nginx serving the same zip
#
# Knobs: BENCH_ROWS (1000000), BENCH_DS_CONCS (W3 concurrencies, "1 16"), BENCH_DS_WARMUP (2),
# BENCH_DS_SHORT (s per W3b/W3c run, 5), BENCH_W5_REPS (3).

ROWS=${BENCH_ROWS:-1000000}
DS_CONCS=${BENCH_DS_CONCS:-"1 16"}
DS_WARM=${BENCH_DS_WARMUP:-2}
DS_SHORT=${BENCH_DS_SHORT:-5}
W5_REPS=${BENCH_W5_REPS:-3}
RID=da7a5e70-0000-4000-8000-000000000001
DSQ=$T/ds
mkdir -p "$DSQ/pgb" "$T/dumps"
meta ds_rows "$ROWS"
meta ds_concs "$DS_CONCS"
meta ds_warmup "$DS_WARM"
meta ds_short "$DS_SHORT"
meta w5_reps "$W5_REPS"
meta ds_rid "$RID"
meta loadavg_ds "$(cut -d' ' -f1-3 /proc/loadavg)"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", b - a}'; }
psqlx() { psql -X -h "$PGDIR" -p "$PGPORT" -U postgres -d opendata "$@"; }
# lines of stdin prefixed with the time they arrive (epoch seconds)
stamp() { while IFS= read -r l; do printf '%s %s\n' "$(date +%s.%N)" "$l"; done; }
# the "Time: N ms" lines of psql's \timing, in seconds, space-separated
timings() { awk '/^Time: / {printf "%s%.3f", (n++ ? " " : ""), $2 / 1000} END {print ""}' "$1"; }
# median of numbers on the command line
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }
raw_name() { SEQ=$((SEQ + 1)); printf '%s/%03d-%s.txt' "$RAW" "$SEQ" "$1"; }
have() { command -v "$1" >/dev/null 2>&1; }
q1() { psqlq -c "$1" 2>/dev/null || echo "?"; }
# the server's VmRSS, RssAnon and RssFile (kB) every 0.1 s, until killed
rss_sampler() {
    while kill -0 "$1" 2>/dev/null; do
        awk '/^(VmRSS|RssAnon|RssFile):/ {printf "%s ", $2} END {print ""}' "/proc/$1/status" 2>/dev/null
        sleep 0.1
    done
}
# max of each column of a sampler's output: "VmRSS RssAnon RssFile" in kB
rss_peaks() { awk 'NF == 3 {for (i = 1; i <= 3; i++) if ($i > m[i]) m[i] = $i} END {print m[1] + 0, m[2] + 0, m[3] + 0}' "$1"; }

# ---- data -------------------------------------------------------------------------------------
log "DataStore: generating the $ROWS-row CSV"
s0=$(now)
python3 tests/perf/gen_rows.py "$T/rows.csv" -n "$ROWS" --seed 1
meta ds_gen_s "$(elapsed "$s0" "$(now)")"
meta ds_csv_bytes "$(stat -c %s "$T/rows.csv")"
meta ds_csv_head "$(sed -n 2p "$T/rows.csv")"

# ---- W6: import --------------------------------------------------------------------------------
DDL="(id int, district text, city text, obs_date date, amount numeric, count_val int, code text,
      description text, lat numeric, lon numeric)"

log "W6 C: psql \\copy into a fresh typed table + primary key + ANALYZE"
psqlq -c "CHECKPOINT"
cat >"$T/w6c.sql" <<EOF
\\timing on
CREATE TABLE bench_w6c $DDL;
\\copy bench_w6c FROM '$T/rows.csv' WITH (FORMAT csv, HEADER)
ALTER TABLE bench_w6c ADD PRIMARY KEY (id);
ANALYZE bench_w6c;
EOF
raw=$(raw_name W6-C-psql-copy)
{ echo "\$ psql -f w6c.sql"; cat "$T/w6c.sql"; echo "---"; } >"$raw"
b=$(tree_ticks "$(pg_pid)")
s0=$(now)
psqlx -f "$T/w6c.sql" >>"$raw" 2>&1 || note "W6 C: psql failed (see the raw output)"
s1=$(now)
a=$(tree_ticks "$(pg_pid)")
meta w6c_s "$(elapsed "$s0" "$s1")"
meta w6c_steps "$(timings "$raw")"
meta w6c_pg_cpu "$(secs $((a - b)))"
meta w6c_rows "$(q1 "SELECT count(*) FROM bench_w6c")"

log "W6 C2: two psql \\copy streams (halves of the file) + primary key + ANALYZE"
tail -n +2 "$T/rows.csv" >"$T/body.csv"
split -n l/2 "$T/body.csv" "$T/half."
rm -f "$T/body.csv"
psqlq -c "CREATE TABLE bench_w6c2 $DDL" -c "CHECKPOINT"
raw=$(raw_name W6-C2-psql-copy-2-streams)
s0=$(now)
psqlx -c '\timing on' -c "\\copy bench_w6c2 FROM '$T/half.aa' WITH (FORMAT csv)" >"$raw.a" 2>&1 &
c2a=$!
psqlx -c '\timing on' -c "\\copy bench_w6c2 FROM '$T/half.ab' WITH (FORMAT csv)" >"$raw.b" 2>&1 &
c2b=$!
wait "$c2a" "$c2b" || note "W6 C2: a \\copy failed"
s1=$(now)
psqlx -c '\timing on' -c "ALTER TABLE bench_w6c2 ADD PRIMARY KEY (id)" -c "ANALYZE bench_w6c2" >"$raw.c" 2>&1
s2=$(now)
{ echo "\$ two concurrent psql \\copy of the halves (split -n l/2), then primary key + ANALYZE";
  cat "$raw.a" "$raw.b" "$raw.c"; } >"$raw"
rm -f "$raw.a" "$raw.b" "$raw.c" "$T/half.aa" "$T/half.ab"
meta w6c2_copy_s "$(elapsed "$s0" "$s1")"
meta w6c2_s "$(elapsed "$s0" "$s2")"
meta w6c2_rows "$(q1 "SELECT count(*) FROM bench_w6c2")"
psqlq -c "DROP TABLE IF EXISTS bench_w6c" -c "DROP TABLE IF EXISTS bench_w6c2" -c "CHECKPOINT"

log "W6 ours: opendata-import csv (--verbosity 3), phases from pg_stat_activity every 0.2 s"
cat >"$T/w6-poll.sql" <<'EOF'
SELECT extract(epoch FROM clock_timestamp())::numeric(16, 3), state, left(regexp_replace(query, '\s+', ' ', 'g'), 160) FROM pg_stat_activity WHERE application_name = 'bench-import' AND state <> 'idle'
\watch 0.2
EOF
psql -XAtq -h "$PGDIR" -p "$PGPORT" -U postgres -d opendata -f "$T/w6-poll.sql" >"$T/w6-poll.txt" 2>&1 &
poll_pid=$! # psql itself (not a function's subshell), so that kill ends it
raw=$(raw_name W6-ours-import)
TIMEV=()
have /usr/bin/time && TIMEV=(/usr/bin/time -v -o "$T/w6-time.txt")
b=$(tree_ticks "$(pg_pid)")
s0=$(now)
echo "$s0 (start) opendata-import csv rows.csv --resource-id $RID --dataset $first_id --db '$URI?application_name=bench-import' --verbosity 3" >"$raw"
{ "${TIMEV[@]}" "$T/app/bin/opendata-import" csv "$T/rows.csv" --resource-id "$RID" --dataset "$first_id" \
    --db "$URI?application_name=bench-import" --verbosity 3 2>&1 || echo "exit status $?"; } | stamp >>"$raw"
s1=$(now)
a=$(tree_ticks "$(pg_pid)")
kill "$poll_pid" 2>/dev/null || true
wait "$poll_pid" 2>/dev/null || true
echo "$s1 (end)" >>"$raw"
[ -f "$T/w6-time.txt" ] && cat "$T/w6-time.txt" >>"$raw"
grep -q 'exit status' "$raw" && note "W6: opendata-import failed (see the raw output)"
meta w6_start "$s0"
meta w6_end "$s1"
meta w6_s "$(elapsed "$s0" "$s1")"
meta w6_pg_cpu "$(secs $((a - b)))"
meta w6_queryable "$(awk -v s="$s0" '/rows, .* fields loaded into resource/ {printf "%.3f", $1 - s; exit}' "$raw")"
meta w6_search_at "$(awk -v s="$s0" '/built in .*_search"/ {printf "%.3f", $1 - s; exit}' "$raw")"
meta w6_log_loaded "$(grep -o 'loaded into resource .* in [0-9.]* s' "$raw" | head -n 1)"
meta w6_log_phases "$(grep -o 'end of COPY.*' "$raw" | head -n 1)"
meta w6_log_search "$(grep -o 'built in [0-9.]* s: CREATE INDEX IF NOT EXISTS "[^"]*_search"' "$raw" | head -n 1)"
if [ -f "$T/w6-time.txt" ]; then
    meta w6_maxrss_kb "$(awk -F': ' '/Maximum resident set size/ {print $2}' "$T/w6-time.txt")"
    meta w6_user_s "$(awk -F': ' '/User time/ {print $2}' "$T/w6-time.txt")"
    meta w6_sys_s "$(awk -F': ' '/System time/ {print $2}' "$T/w6-time.txt")"
else
    note "W6: /usr/bin/time is missing (Debian package time): the importer's RSS is not measured"
fi
tbl="datastore.\"$RID\""
meta w6_rows "$(q1 "SELECT count(*) FROM $tbl")"
meta w6_fields "$(q1 "SELECT string_agg((f->>'id') || ' ' || (f->>'type'), ', ') FROM datastore_table, jsonb_array_elements(fields) f WHERE resource_id = '$RID'")"
meta w6_indexes "$(q1 "SELECT string_agg(replace(c.relname, '$RID', '') || ' ' || pg_size_pretty(pg_relation_size(c.oid)) || CASE WHEN i.indisvalid THEN '' ELSE ' (INVALID)' END, ', ' ORDER BY c.relname) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = '$tbl'::regclass")"
meta w6_table_size "$(q1 "SELECT pg_size_pretty(pg_table_size('$tbl'))")"
meta w6_index_size "$(q1 "SELECT pg_size_pretty(pg_indexes_size('$tbl'))")"
meta w6_version "$(q1 "SELECT size || ' bytes, sha256 ' || left(content_hash, 12) FROM resource_version WHERE resource_id = '$RID' ORDER BY created DESC LIMIT 1")"
want_fields="id int4, district text, city text, obs_date date, amount numeric, count_val int4, code text, description text, lat numeric, lon numeric"
w6_ok=1
if [ "$(grep '^w6_rows=' "$META" | cut -d= -f2-)" != "$ROWS" ]; then
    check "W6: the table does not hold $ROWS rows"
    w6_ok=0
fi
[ "$(grep '^w6_fields=' "$META" | cut -d= -f2-)" = "$want_fields" ] ||
    check "W6: inferred types differ from those of the C table ($want_fields)"
check "W6: $(grep '^w6_rows=' "$META" | cut -d= -f2-) rows in datastore.\"$RID\"; types: $(grep '^w6_fields=' "$META" | cut -d= -f2-)"
# autovacuum would soon vacuum the new table (1M rows inserted) in the middle of the timed runs:
# do it now (the pages are all-frozen after COPY FREEZE, so this is quick) and checkpoint
s0=$(now)
psqlq -c "VACUUM (ANALYZE) $tbl" -c "CHECKPOINT" >/dev/null 2>&1 || true
meta ds_vacuum_s "$(elapsed "$s0" "$(now)")"

# ---- the server for W3/W3b/W3c/W4 ------------------------------------------------------------------
if [ "$w6_ok" = 1 ]; then
start_server false "$T/server-ds.log" --dump-dir "$T/dumps"
log "DataStore server pid $SRV_PID"
mem_line "DataStore server start"

python3 tests/perf/ds_tool.py paths "$RID" "$DSQ"
psqlq -F $'\t' -c "SELECT district, count(*) FROM $tbl GROUP BY 1" >"$DSQ/counts.tsv"
psqlq -F $'\t' -c "SELECT f->>'id', f->>'type' FROM datastore_table, jsonb_array_elements(fields) f WHERE resource_id = '$RID'" >"$DSQ/cols.tsv"
meta ds_filter_rows "$(awk -F'\t' 'NR == FNR {c[$1] = $2; next} {v = c[$1]; s += v; n++; if (!mn || v < mn) mn = v; if (v > mx) mx = v} END {printf "%d to %d (mean %d)", mn, mx, s / n}' "$DSQ/counts.tsv" "$DSQ/districts.txt")"

# capture every request once with log_min_duration_statement = 0: the bodies for nginx and
# the checks, the server's statements and parameters for P
log "DataStore: capturing bodies and the server's SQL"
psqlq -c "ALTER SYSTEM SET log_min_duration_statement = 0" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
declare -A DS_BAD
: >"$RAW/000-ds-server-sql.txt"
for wl in w3 w4 w3b-f w3b-u w3b-k w3c; do
    lines0=$(wc -l <"$PGDIR/postgres.log")
    nb=$(capture "$wl" "$DSQ/$wl.txt" body_file)
    sleep 0.5
    tail -n +"$((lines0 + 1))" "$PGDIR/postgres.log" >"$DSQ/log-$wl.txt"
    python3 tests/perf/ds_tool.py pgb "$wl" "$DSQ/log-$wl.txt" "$(wc -l <"$DSQ/$wl.txt")" "$DSQ/pgb" >>"$T/check.txt" ||
        nb=$((nb + 1))
    { echo "# $wl: $(head -n 1 "$DSQ/$wl.txt")"; cat "$DSQ/pgb/$wl.stmt" 2>/dev/null || true; } >>"$RAW/000-ds-server-sql.txt"
    python3 tests/perf/ds_tool.py check "$wl" "$WWW" "$DSQ/$wl.txt" "$DSQ/counts.tsv" "$ROWS" >>"$T/check.txt" ||
        nb=$((nb + 1))
    DS_BAD[$wl]=$nb
done
# the dump once (its COPY statement for C; the check zip)
rm -f "$T/dumps/"*.zip
lines0=$(wc -l <"$PGDIR/postgres.log")
w5path=$(head -n 1 "$DSQ/w5.txt")
r=$(curl -s -o "$T/w5-check.zip" -w '%{http_code}|%{content_type}|%{time_total}' "http://127.0.0.1:$SPORT$w5path")
[ "${r%%|*}" = 200 ] || check "W5: $w5path answered ${r%%|*}"
sleep 0.5
tail -n +"$((lines0 + 1))" "$PGDIR/postgres.log" >"$DSQ/log-w5.txt"
psqlq -c "ALTER SYSTEM RESET log_min_duration_statement" -c "SELECT pg_reload_conf()" >/dev/null
W5_COPY=$(grep -o 'statement: COPY (.*) TO STDOUT WITH (FORMAT csv)' "$DSQ/log-w5.txt" | head -n 1 |
    sed -e 's/^statement: COPY (//' -e 's/) TO STDOUT WITH (FORMAT csv)$//')
{ echo "# w5: $w5path"; grep -o '\(execute\|statement\)[^:]*: .*' "$DSQ/log-w5.txt" | grep -v 'pg_reload_conf\|ALTER SYSTEM'; } >>"$RAW/000-ds-server-sql.txt"
[ -n "$W5_COPY" ] || { check "W5: no COPY statement of the dump in the PostgreSQL log"; DS_BAD[w5]=1; }
meta w5_check_time "${r##*|}"

# P gives the server's body: its statement's rows are the result in the API envelope (the text
# before and after the records, the records written by the server between)
for wl in w3 w4; do
    f=$(python3 tests/perf/ds_tool.py body "$WWW" "$(head -n 1 "$DSQ/$wl.txt")")
    psqlq -F $'\x1f' -R $'\x1e' -f "$DSQ/pgb/$wl.check.sql" >"$DSQ/$wl.psql.txt" 2>&1 || true
    if python3 tests/perf/ds_tool.py pcheck "$f" "$DSQ/$wl.psql.txt"; then
        check "P $wl: the server's statement with the first request's parameters gives the result in the server's body"
    else
        check "P $wl: the server's statement run by psql does not give the server's body"
        DS_BAD[$wl]=$((DS_BAD[$wl] + 1))
    fi
    # the same request twice gives the same bytes (nginx can stand in)
    curl -s "http://127.0.0.1:$SPORT$(head -n 1 "$DSQ/$wl.txt")" | cmp -s - "$f" ||
        { check "$wl: two answers to the same request differ"; DS_BAD[$wl]=$((DS_BAD[$wl] + 1)); }
    # nginx serves the same bytes for every path
    nbad=0
    while read -r p; do
        curl -s "http://127.0.0.1:$NPORT$p" | cmp -s - "$(python3 tests/perf/ds_tool.py body "$WWW" "$p")" || nbad=$((nbad + 1))
    done <"$DSQ/$wl.txt"
    ct_n=$(curl -s -o /dev/null -w '%{content_type}' "http://127.0.0.1:$NPORT$(head -n 1 "$DSQ/$wl.txt")")
    check "N $wl: $(($(wc -l <"$DSQ/$wl.txt") - nbad))/$(wc -l <"$DSQ/$wl.txt") nginx bodies byte-identical to ours; Content-Type: $ct_n"
    [ "$nbad" = 0 ] && [ "$ct_n" = "$(ctype_of "$(head -n 1 "$DSQ/$wl.txt")")" ] || DS_BAD[$wl]=$((DS_BAD[$wl] + 1))
done
# H: the hand-written equivalents (one statement, cached plan)
python3 tests/perf/ds_tool.py hand h3 "$RID" "$DSQ/cols.tsv" "$DSQ/districts.txt" ckan "$DSQ/pgb"
python3 tests/perf/ds_tool.py hand h4 "$RID" "$DSQ/cols.tsv" "$DSQ/districts.txt" tw "$DSQ/pgb"
cp "$DSQ/pgb/h3-1.sql" "$RAW/000-ds-hand-written-sql.txt"
# H returns the same records as the server (same JSON text) and the same total
hrec=$(psqlq -c "$(sed -e "s/:d1/'$(head -n 1 "$DSQ/districts.txt")'/g" -e 's/;$//' "$DSQ/pgb/h4-1.sql")")
if python3 - "$(python3 tests/perf/ds_tool.py body "$WWW" "$(head -n 1 "$DSQ/w4.txt")")" "$hrec" <<'PY'; then
import json, sys
body = json.load(open(sys.argv[1], encoding="utf-8"))["result"]
recs, total = sys.argv[2].rsplit("|", 1)
sys.exit(0 if json.loads(recs) == body["records"] and int(total) == body["total"] else 1)
PY
    check "H: the hand-written statement gives the same records and total as the server (W4, first request)"
else
    check "H: the hand-written statement does NOT give the server's records/total (W4, first request)"
fi
for wl in w3 w4 w3b-f w3b-u w3b-k w3c w5; do meta "bad_$wl" "${DS_BAD[$wl]:-0}"; done
# the SELECT each W3b variant runs, as server/datastore/sqlbuild.c writes it (OFFSET, or the key
# on an unfiltered page of a dense table); values shown inline
ds_select() { # WHERE-or-empty LIMIT OFFSET: the page of all columns in _id order
    q1 "SELECT format('SELECT %s FROM datastore.%I%s', string_agg(format('%I', c.f), ', ' ORDER BY c.n),
               d.table_name, CASE WHEN '$1' = '' AND $3 > 0 AND d.max_id = d.row_count
               THEN ' WHERE \"_id\" > $3 ORDER BY \"_id\" ASC LIMIT $2'
               ELSE '$1 ORDER BY \"_id\" ASC LIMIT $2' || CASE WHEN $3 > 0 THEN ' OFFSET $3' ELSE '' END END)
        FROM datastore_table d, LATERAL (SELECT '_id', 0::bigint UNION ALL SELECT e->>'id', n
        FROM jsonb_array_elements(d.fields) WITH ORDINALITY x(e, n)) c(f, n)
        WHERE d.resource_id = '$RID' GROUP BY d.table_name, d.max_id, d.row_count"
}
meta w3b_f_sql "$(ds_select " WHERE \"district\" = ''$(head -n 1 "$DSQ/districts.txt")''" 100 900000)"
meta w3b_u_sql "$(ds_select "" 100 900000)"
meta w3b_k_sql "$(ds_select "" 100 900000)"
cat "$T/check.txt" >&2

ds_pgb_conc() { # WRK_CONC: the server's connections after a warm-up, capped at WRK_CONC
    local pc
    pc=$(server_conns)
    [ "$pc" -ge 1 ] 2>/dev/null || pc=$((THREADS * 2))
    [ "$pc" -gt "$1" ] && pc=$1
    echo "$pc"
}
# ds_run WL PATHS CONC REPS DURATION WITH_N P_ARGS_FILE [H_ARGS_FILE]
ds_run() {
    local wl=$1 paths=$2 conc=$3 reps=$4 dur=$5 withn=$6 pfile=$7 hfile=${8:-} pc r
    local -a PA HA
    mapfile -d '' -t PA <"$pfile"
    [ -n "$hfile" ] && mapfile -d '' -t HA <"$hfile"
    log "$wl c=$conc: warm-up ${DS_WARM}s"
    run_wrk "$wl" ours "$conc" 0 "$paths" "$OURS" "$DS_WARM" 0
    pc=$(ds_pgb_conc "$conc")
    run_pgb "$wl" "$conc" "$pc" 0 "$DS_WARM" 0 "${PA[@]}"
    [ "$withn" = 1 ] && run_wrk "$wl" N "$conc" 0 "$paths" "$NGINX" "$DS_WARM" 0
    for r in $(seq "$reps"); do
        run_wrk "$wl" ours "$conc" "$r" "$paths" "$OURS" "$dur"
        run_pgb "$wl" "$conc" "$pc" "$r" "$dur" 1 "${PA[@]}"
        [ "$withn" = 1 ] && run_wrk "$wl" N "$conc" "$r" "$paths" "$NGINX" "$dur"
        [ -n "$hfile" ] && PGB_SYS=H run_pgb "$wl" "$conc" "$pc" "$r" "$dur" 1 "${HA[@]}"
    done
    mem_line "after $wl c=$conc"
}

# ---- W3, W4 ------------------------------------------------------------------------------------
if [ "${DS_BAD[w3]}" = 0 ]; then
    for c in $DS_CONCS; do
        d=$DUR
        [ "$c" = 1 ] && d=$DS_SHORT # c=1 shows the latency; 5 s are enough
        ds_run W3 "$DSQ/w3.txt" "$c" 1 "$d" 1 "$DSQ/pgb/w3.args" "$DSQ/pgb/h3.args"
    done
else
    note "W3 not timed: the checks failed (see Checks)"
fi
if [ "${DS_BAD[w3]}" = 0 ]; then
    # the same request with 50 and 55 rows: bodies just under and just over 16 KiB, c=1
    log "W3 body-size step: limit=50 and limit=55, c=1"
    for l in 50 55; do
        p=$(head -n 1 "$DSQ/w3-l$l.txt")
        meta "w3_l${l}_bytes" "$(curl -s "$OURS$p" | wc -c)"
        run_wrk "W3-l$l" ours 1 0 "$DSQ/w3-l$l.txt" "$OURS" "$DS_WARM" 0
        run_wrk "W3-l$l" ours 1 1 "$DSQ/w3-l$l.txt" "$OURS" "$DS_SHORT"
    done
fi
if [ "${DS_BAD[w4]}" = 0 ]; then
    ds_run W4 "$DSQ/w4.txt" 16 1 "$DUR" 1 "$DSQ/pgb/w4.args" "$DSQ/pgb/h4.args"
else
    note "W4 not timed: the checks failed (see Checks)"
fi

# ---- W3b: deep offsets (c=16, ours and P) ------------------------------------------------------------
for v in f u k; do
    wl=w3b-$v
    [ "${DS_BAD[$wl]}" = 0 ] || { note "W3b-$v not timed: the checks failed (see Checks)"; continue; }
    mapfile -d '' -t PA <"$DSQ/pgb/$wl.args"
    log "W3b-$v c=16"
    run_wrk "W3b-$v" ours 16 0 "$DSQ/$wl.txt" "$OURS" "$DS_WARM" 0
    pc=$(ds_pgb_conc 16)
    run_wrk "W3b-$v" ours 16 1 "$DSQ/$wl.txt" "$OURS" "$DS_SHORT"
    run_pgb "W3b-$v" 16 "$pc" 1 "$DS_SHORT" 1 "${PA[@]}"
done
mem_line "after W3b"

# ---- W3c: limit 32000 ------------------------------------------------------------------------------
if [ "${DS_BAD[w3c]}" = 0 ]; then
    log "W3c: limit=32000, c=1, then c=4 (server RSS)"
    mapfile -d '' -t PA <"$DSQ/pgb/w3c.args"
    mem_line "W3c before"
    run_wrk W3c ours 1 1 "$DSQ/w3c.txt" "$OURS" "$DS_SHORT"
    run_pgb W3c 1 1 1 "$DS_SHORT" 1 "${PA[@]}"
    mem_line "W3c after c=1"
    # C: the same query (the SELECT the server runs) with \copy, as CSV and as the same JSON
    q32=$(ds_select "" 32000 0)
    items=$(python3 tests/perf/ds_tool.py items "$DSQ/cols.tsv" ckan)
    raw=$(raw_name W3c-C-psql-copy)
    {
        echo '\timing on'
        for i in 1 2 3 4 5; do echo "\\copy ($q32) TO /dev/null WITH (FORMAT csv)"; done
        for i in 1 2 3 4 5; do echo "\\copy (SELECT coalesce(json_agg(json_build_object($items)), '[]') FROM ($q32) s) TO /dev/null"; done
    } >"$T/w3c-c.sql"
    { echo "\$ psql -f w3c-c.sql: 5 × \\copy ($q32) TO /dev/null WITH (FORMAT csv), then 5 × the same rows as one json_agg(json_build_object(...)) value"
      psqlx -f "$T/w3c-c.sql" 2>&1; } >"$raw"
    read -r -a tt <<<"$(timings "$raw")"
    meta w3c_c_csv_s "$(median "${tt[@]:0:5}")"
    meta w3c_c_json_s "$(median "${tt[@]:5:5}")"
    meta w3c_sql "$q32"
    meta w3c_body_bytes "$(stat -c %s "$(python3 tests/perf/ds_tool.py body "$WWW" "$(head -n 1 "$DSQ/w3c.txt")")")"
    run_wrk W3c ours 4 1 "$DSQ/w3c.txt" "$OURS" "$DS_SHORT"
    mem_line "W3c after c=4"
    sleep 2
    mem_line "W3c +2 s"
fi
meta ds_server_errors "$(grep -ci 'error' "$T/server-ds.log" || true)"
grep -i 'error\|warn' "$T/server-ds.log" | sort | uniq -c | sort -rn | head -n 20 >"$RAW/000-ds-server-log-errors.txt" || true
stop_server

# ---- W5: dump, first request (fresh server: its RSS is not inflated by W3c) ---------------------------
if [ "${DS_BAD[w5]:-0}" = 0 ]; then
    start_server false "$T/server-w5.log" --dump-dir "$T/dumps"
    log "W5: dump first requests (c=1, c=4) vs psql \\copy | zip -1 and COPY alone (fresh server pid $SRV_PID)"
    mem_line "W5 fresh server"
    meta w5_level "1 (the server's default --dump-zip-level)"
    meta w5_copy_sql "$W5_COPY"
    : >"$T/w5.tsv" # kind rep seconds bytes
    rss_sampler "$SRV_PID" >"$T/w5-rss.txt" &
    sampler=$!
    raw=$(raw_name W5-runs)
    have zip || note "W5: zip is missing (Debian package zip): no C comparator"
    for r in $(seq "$W5_REPS"); do
        rm -f "$T/dumps/"*.zip
        o=$(curl -s -o "$T/w5-ours.zip" -w '%{http_code} %{size_download} %{time_starttransfer} %{time_total}' "$OURS$w5path")
        echo "ours c=1 rep $r: status, bytes, first byte s, total s: $o" >>"$raw"
        printf 'ours1\t%s\t%s\t%s\n' "$r" "$(echo "$o" | cut -d' ' -f4)" "$(echo "$o" | cut -d' ' -f2)" >>"$T/w5.tsv"
        [ "${o%% *}" = 200 ] || check "W5: the dump answered ${o%% *} (rep $r)"
        mem_line "W5 after ours c=1 rep $r"
        if have zip; then
            rm -f "$T/w5-c.zip"
            s0=$(now)
            psqlx -c "\\copy ($W5_COPY) TO STDOUT WITH (FORMAT csv, HEADER)" | zip -q -1 "$T/w5-c.zip" -
            s1=$(now)
            echo "C rep $r: psql \\copy (...) TO STDOUT WITH (FORMAT csv, HEADER) | zip -q -1 c.zip - : $(elapsed "$s0" "$s1") s, $(stat -c %s "$T/w5-c.zip") bytes" >>"$raw"
            printf 'C\t%s\t%s\t%s\n' "$r" "$(elapsed "$s0" "$s1")" "$(stat -c %s "$T/w5-c.zip")" >>"$T/w5.tsv"
        fi
        s0=$(now)
        psqlx -c "\\copy ($W5_COPY) TO /dev/null WITH (FORMAT csv, HEADER)" >/dev/null
        s1=$(now)
        echo "COPY rep $r: psql \\copy (...) TO /dev/null WITH (FORMAT csv, HEADER): $(elapsed "$s0" "$s1") s" >>"$raw"
        printf 'COPY\t%s\t%s\t-\n' "$r" "$(elapsed "$s0" "$s1")" >>"$T/w5.tsv"
    done
    for r in 1 2; do
        rm -f "$T/dumps/"*.zip
        s0=$(now)
        cpids=()
        for i in 1 2 3 4; do
            curl -s -o "$T/w5-c4-$i.zip" -w "%{http_code} %{time_total}\n" "$OURS$w5path" >"$T/w5-c4-$i.txt" &
            cpids+=($!)
        done
        wait "${cpids[@]}" || true # (not a bare wait: the server is a child too)
        s1=$(now)
        echo "ours c=4 rep $r: all four done in $(elapsed "$s0" "$s1") s; each (status, total s): $(cat "$T"/w5-c4-?.txt | tr '\n' ' ')" >>"$raw"
        printf 'ours4\t%s\t%s\t%s\n' "$r" "$(elapsed "$s0" "$s1")" "$(stat -c %s "$T/w5-c4-1.zip")" >>"$T/w5.tsv"
        same=$(md5sum "$T"/w5-c4-?.zip "$T/w5-ours.zip" | awk '{print $1}' | sort -u | wc -l)
        [ "$same" = 1 ] || check "W5 c=4: the four answers and the c=1 answer are not all the same bytes"
        mem_line "W5 after ours c=4 rep $r"
    done
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    meta w5_rss_peaks "$(rss_peaks "$T/w5-rss.txt")"
    rm -f "$T"/w5-c4-?.zip "$T"/w5-c4-?.txt
    grep 'dump: built' "$T/server-w5.log" | sed 's/^.*dump: built [^ ]* //' >>"$raw" || true
    meta w5_builds "$(grep -c 'dump: built' "$T/server-w5.log" || true)"
    meta w5_build_ms "$(grep -o 'dump: built .* in [0-9]* ms' "$T/server-w5.log" | awk '{print $(NF - 1)}' | tr '\n' ' ')"

    # checks: the zip is sound, its CSV has the rows of COPY
    log "W5: checking the zip"
    ut=$(unzip -t "$T/w5-ours.zip" 2>&1 | tail -n 1 | sed "s,$T/,," || true)
    meta w5_unzip_t "$ut"
    ul=$(unzip -l "$T/w5-ours.zip" | sed -n 4p | awk '{print $1, $4}' || true)
    meta w5_entry "$ul"
    rows_o=$(unzip -p "$T/w5-ours.zip" | tail -n +2 | md5sum | cut -c1-32)
    nl_o=$(unzip -p "$T/w5-ours.zip" | wc -l)
    # (head closes the pipe early: unzip's SIGPIPE must not count under pipefail)
    head_o=$({ unzip -p "$T/w5-ours.zip" || true; } | head -c 16 | od -An -c | tr -s ' ')
    meta w5_header_ours "$({ unzip -p "$T/w5-ours.zip" || true; } | head -n 1 | sed 's/^\xef\xbb\xbf/<BOM>/')"
    if have zip && [ -f "$T/w5-c.zip" ]; then
        rows_c=$(unzip -p "$T/w5-c.zip" | tail -n +2 | md5sum | cut -c1-32)
        meta w5_header_c "$({ unzip -p "$T/w5-c.zip" || true; } | head -n 1)"
    else
        rows_c=$(psqlx -c "\\copy ($W5_COPY) TO STDOUT WITH (FORMAT csv)" | md5sum | cut -c1-32)
    fi
    if [ "$rows_o" = "$rows_c" ] && [ "$nl_o" = $((ROWS + 1)) ]; then
        check "W5: unzip -t: $ut; entry $ul; $((nl_o - 1)) rows after the header, byte-identical to COPY's (md5 $rows_o); first bytes: $head_o"
    else
        check "W5: the CSV in the zip differs from COPY's output (md5 of the rows $rows_o vs $rows_c; $nl_o lines)"
        DS_BAD[w5]=1
        meta bad_w5 1
    fi

    # ---- W5b: the cached dump vs nginx with the same file ----------------------------------------
    mkdir -p "$WWW/api/v1/dump/datastore"
    cp "$T/w5-ours.zip" "$WWW/api/v1/dump/datastore/$RID"
    chmod a+r "$WWW/api/v1/dump/datastore/$RID"
    curl -s "$NGINX$w5path" | cmp -s - "$T/w5-ours.zip" && curl -s "$OURS$w5path" | cmp -s - "$T/w5-ours.zip" &&
        check "W5b: ours (cached) and nginx serve the same zip bytes; nginx Content-Type $(curl -s -o /dev/null -w '%{content_type}' "$NGINX$w5path")" ||
        { check "W5b: ours or nginx does not serve the same zip"; DS_BAD[w5b]=1; }
    if [ "${DS_BAD[w5b]:-0}" = 0 ]; then
        log "W5b: cached dump, c=4"
        mem_line "W5b before"
        run_wrk W5b ours 4 0 "$DSQ/w5.txt" "$OURS" "$DS_WARM" 0
        run_wrk W5b N 4 0 "$DSQ/w5.txt" "$NGINX" "$DS_WARM" 0
        rss_sampler "$SRV_PID" >"$T/w5b-rss.txt" &
        sampler=$!
        run_wrk W5b ours 4 1 "$DSQ/w5.txt" "$OURS" "$DS_SHORT"
        kill "$sampler" 2>/dev/null || true
        wait "$sampler" 2>/dev/null || true
        meta w5b_rss_peaks "$(rss_peaks "$T/w5b-rss.txt")"
        mem_line "W5b after ours"
        run_wrk W5b N 4 1 "$DSQ/w5.txt" "$NGINX" "$DS_SHORT"
    fi
    meta w5_server_errors "$(grep -ci 'error' "$T/server-w5.log" || true)"
    grep -i 'error\|warn' "$T/server-w5.log" | sort | uniq -c | sort -rn | head -n 20 >>"$RAW/000-ds-server-log-errors.txt" || true
    stop_server
    meta w5_zip_bytes "$(stat -c %s "$T/w5-ours.zip")"
    rm -f "$T/w5-ours.zip" "$T/w5-c.zip" "$T/w5-check.zip" "$WWW/api/v1/dump/datastore/$RID"
else
    note "W5/W5b not timed: the checks failed (see Checks)"
fi
fi # w6_ok
rm -f "$T/rows.csv"
