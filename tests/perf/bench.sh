#!/usr/bin/env bash
# bench.sh — `make bench`: the project's performance protocol (side by side with pgbench, nginx, psql \copy) for the workloads
# that exist so far, side by side with their comparators, written to docs/BENCHMARKS.md.
#
#   W1   GET /api/3/action/package_show?id={name}, name random among BENCH_IDS of the catalogue
#   W1a  GET {sru}/rest/dataset/{identifier}, the same datasets by their Taiwan identifier
#        (c=16 only unless BENCH_W1A_CONCS says otherwise)
#   W1b  GET /api/3/action/status_show (c=16 only)
#   W8   W1a over 10,000 concurrent keep-alive connections (errors, server RSS)
#   W2, W2b  package_search with q words and facets, and without q (the cached default page), on
#        the catalogue grown to BENCH_SEARCH_RECORDS (tests/perf/bench_search.sh, sourced after
#        W8; BENCH_SEARCH=0 skips them)
#   W6, W3, W3b, W3c, W4, W5, W5b  the DataStore workloads on a generated 1M-row table
#        (tests/perf/bench_ds.sh, sourced after the search part; BENCH_DATASTORE=0 skips them)
#   then the workloads with scripts of their own (tests/perf/bench_extras.sh): datastore_upsert vs
#        COPY, package_create/update vs pgbench, uploads, the Filter API, nearest, languages
# The report: docs/BENCHMARKS.md (the summary), docs/bench/details.md, docs/bench/raw/.
# Comparators, run back to back with ours at the same concurrency:
#   P  pgbench -n -M prepared with the identical SQL (checked in the PostgreSQL log), same
#      Unix socket, -c = the connections the server really holds (at most the wrk -c)
#   N  nginx (2 workers, keep-alive) serving the identical bytes (captured with curl) with the
#      same Content-Type, same request paths
#   L  1 / (1/P + 1/N)
# Everything (wrk, server, PostgreSQL, nginx) shares the machine's cores.
#
# Knobs (environment): BENCH_DURATION (s per timed run, 10), BENCH_WARMUP (5), BENCH_REPS
# (repetitions at c=16, 3; BENCH_REPS_W1B for W1b, 1), BENCH_REPS_OTHER (at the other
# concurrencies, 1), BENCH_CONCS
# ("1 16 64"), BENCH_RECORDS (10000), BENCH_IDS (ids of the random-id mix, 100; pgbench takes
# at most 128 scripts), BENCH_W8_CONNS (10000), BENCH_OUT (docs/BENCHMARKS.md), BENCH_KEEP=1
# (keep the temporary directory), BENCH_SEARCH (1), BENCH_DATASTORE (1) and the knobs in
# bench_search.sh (BENCH_SEARCH_RECORDS, ...) and bench_ds.sh (BENCH_ROWS, ...), BENCH_QUICK=1 (the
# quick mode below), BENCH_EXTRAS ("none", or some of bench_extras.sh's names). A benchmark never fails the build: the exit status is 0
# unless the setup itself failed; failed byte checks are written into the report.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)

# Quick mode (`make bench-quick`): the same workloads, shorter runs on smaller data, about 15
# minutes; a knob set in the environment still wins.
if [ "${BENCH_QUICK:-0}" = 1 ]; then
    : "${BENCH_DURATION:=3}" "${BENCH_WARMUP:=1}" "${BENCH_REPS:=1}" "${BENCH_CONCS:=16}"
    : "${BENCH_RECORDS:=2000}" "${BENCH_SEARCH_RECORDS:=10000}" "${BENCH_SEARCH_WARMUP:=1}"
    : "${BENCH_W2B_CONCS:=16}" "${BENCH_ROWS:=200000}" "${BENCH_DS_CONCS:=16}"
    : "${BENCH_DS_WARMUP:=1}" "${BENCH_DS_SHORT:=3}" "${BENCH_W5_REPS:=1}"
    export BENCH_DURATION BENCH_WARMUP BENCH_REPS BENCH_CONCS BENCH_RECORDS BENCH_SEARCH_RECORDS \
        BENCH_SEARCH_WARMUP BENCH_W2B_CONCS BENCH_ROWS BENCH_DS_CONCS BENCH_DS_WARMUP \
        BENCH_DS_SHORT BENCH_W5_REPS
fi

DUR=${BENCH_DURATION:-10}
WARM=${BENCH_WARMUP:-5}
REPS=${BENCH_REPS:-3}
REPS_OTHER=${BENCH_REPS_OTHER:-1}
REPS_W1B=${BENCH_REPS_W1B:-1} # W1b (status_show, not a BENCH.md workload) at c=16: 1 to save time
CONCS=${BENCH_CONCS:-"1 16 64"}
NREC=${BENCH_RECORDS:-10000}
NIDS=${BENCH_IDS:-100}
W8_CONNS=${BENCH_W8_CONNS:-10000}
OUT=${BENCH_OUT:-docs/BENCHMARKS.md}
THREADS=2
TZ_NAME=Asia/Taipei
SITE_URL=http://127.0.0.1:5000
CKAN_VERSION=2.11.5
SERVER_VERSION=$(cat VERSION)
SRU=/api/v1
WRK_TIMEOUT=10s
[ "$NIDS" -le 128 ] || { echo "bench: BENCH_IDS must be <= 128 (pgbench script limit)" >&2; exit 2; }

for tool in wrk nginx pgbench curl python3 psql; do
    command -v "$tool" >/dev/null || { echo "bench: $tool missing (make deps-bench)" >&2; exit 2; }
done
for f in bin/opendatad bin/opendata-import; do
    [ -x "$f" ] || { echo "bench: $f missing (make all)" >&2; exit 2; }
done
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

T=$(mktemp -d /tmp/opendatad-bench.XXXXXX)
chmod 755 "$T" # the postgres user (when run as root) and nginx workers read below it
RAW=$T/raw
RES=$T/results.tsv
META=$T/meta.txt
mkdir -p "$RAW" "$T/app/bin" "$T/pgb"
: >"$RES"
: >"$META"
SEQ=0
SRV_PID=
NGX_PID=
PGDIR=$T/pg
PGPORT=5499

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
meta() { printf '%s=%s\n' "$1" "$2" >>"$META"; }
# a note for the report (free text, one line)
note() { printf '%s\n' "$*" >>"$T/notes.txt"; log "NOTE: $*"; }

cleanup() {
    set +e
    [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
    [ -n "$NGX_PID" ] && kill "$NGX_PID" 2>/dev/null
    "$ROOT/scripts/pg-local.sh" stop "$PGDIR" >/dev/null 2>&1
    if [ "${BENCH_KEEP:-0}" = 1 ]; then log "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
. "$ROOT/tests/perf/nginx_conf.sh"

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- CPU time and memory from /proc ----------------------------------------------------------
CLK=$(getconf CLK_TCK)
# utime+stime (+ cutime+cstime of reaped children with "all") of one pid, in ticks
# (0 for a process gone meanwhile: a backend may exit between pgrep and the read)
ticks() {
    local v
    v=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null |
        awk -v all="${2:-}" '{print $12 + $13 + (all ? $14 + $15 : 0)}')
    echo "${v:-0}"
}
# a process and its children (PostgreSQL backends, nginx workers); exited children through cutime
tree_ticks() {
    local sum c
    sum=$(ticks "$1" all)
    for c in $(pgrep -P "$1" 2>/dev/null); do sum=$((sum + $(ticks "$c"))); done
    echo "$sum"
}
pg_pid() { head -n 1 "$PGDIR/data/postmaster.pid"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
anon_kb() { awk '/^RssAnon:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
rssfile_kb() { awk '/^RssFile:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
secs() { awk -v t="$1" -v c="$CLK" 'BEGIN {printf "%.2f", t / c}'; }

psqlq() { psql -XAtq -h "$PGDIR" -p "$PGPORT" -U postgres -d opendata "$@"; }
server_conns() {
    psqlq -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'opendatad'" 2>/dev/null || echo 0
}

# ---- one timed run ----------------------------------------------------------------------------
# results.tsv columns: workload system conc rep rps p50_ms p99_ms p90_ms non2xx sockerr requests
#   server_cpu_s pg_cpu_s nginx_cpu_s conns raw_file
record() { printf '%s\n' "$(IFS=$'\t'; echo "$*")" >>"$RES"; }

cpu_snapshot() { # server pg nginx ticks
    local s=0 n=0
    [ -n "$SRV_PID" ] && s=$(ticks "$SRV_PID")
    [ -n "$NGX_PID" ] && n=$(tree_ticks "$NGX_PID")
    echo "$s $(tree_ticks "$(pg_pid)") $n"
}

# run_wrk WORKLOAD SYSTEM CONC REP PATHS URL DURATION [record=1]
run_wrk() {
    local wl=$1 sys=$2 conc=$3 rep=$4 paths=$5 url=$6 dur=$7 rec=${8:-1}
    local t=2 name raw b a
    [ "$conc" -lt 2 ] && t=1 # wrk needs at least one connection per thread
    SEQ=$((SEQ + 1))
    name=$(printf '%03d-%s-%s-c%s-r%s' "$SEQ" "$wl" "$sys" "$conc" "$rep")
    raw=$RAW/$name.txt
    b=$(cpu_snapshot)
    echo "\$ wrk -t$t -c$conc -d${dur}s --latency --timeout $WRK_TIMEOUT -s paths.lua $url -- $(basename "$paths")  # $(wc -l <"$paths") paths; load average $(cut -d' ' -f1-3 /proc/loadavg)" >"$raw"
    wrk -t"$t" -c"$conc" -d"${dur}s" --latency --timeout "$WRK_TIMEOUT" -s "$ROOT/tests/perf/paths.lua" \
        "$url" -- "$paths" >>"$raw" 2>&1 || echo "(wrk exit status $?)" >>"$raw"
    a=$(cpu_snapshot)
    [ "$rec" = 1 ] || { rm -f "$raw"; return 0; }
    local conns=-
    [ "$sys" = ours ] && conns=$(server_conns)
    local line rps
    line=$(grep '^BENCH_RESULT' "$raw" | tail -n 1 || true)
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$raw" | tail -n 1)
    kv() { printf '%s\n' "$line" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k {print $2}'; }
    if [ -z "$line" ]; then
        log "wrk run $name produced no result"
        record "$wl" "$sys" "$conc" "$rep" 0 - - - - - 0 - - - "$conns" "$name"
        return 0
    fi
    local req dus p50 p90 p99 st sock
    req=$(kv requests)
    dus=$(kv duration_us)
    [ -n "$rps" ] || rps=$(awk -v r="$req" -v d="$dus" 'BEGIN {printf "%.2f", r / (d / 1e6)}')
    p50=$(awk -v u="$(kv p50_us)" 'BEGIN {printf "%.3f", u / 1000}')
    p90=$(awk -v u="$(kv p90_us)" 'BEGIN {printf "%.3f", u / 1000}')
    p99=$(awk -v u="$(kv p99_us)" 'BEGIN {printf "%.3f", u / 1000}')
    st=$(kv status)
    sock=$(($(kv connect) + $(kv read) + $(kv write) + $(kv timeout)))
    read -r bs bp bn <<<"$b"
    read -r as ap an <<<"$a"
    record "$wl" "$sys" "$conc" "$rep" "$rps" "$p50" "$p99" "$p90" "$st" "$sock" "$req" \
        "$(secs $((as - bs)))" "$(secs $((ap - bp)))" "$(secs $((an - bn)))" "$conns" "$name"
    log "$name: $rps req/s p50 ${p50} ms p99 ${p99} ms non2xx $st sockerr $sock"
}

# run_pgb WORKLOAD WRK_CONC PGBENCH_CONC REP DURATION RECORD(0|1) pgbench-script-arguments...
# (WRK_CONC is the concurrency of ours/N this run stands beside; PGBENCH_CONC its -c; the system
# recorded is $PGB_SYS, P unless set: H for the hand-written SQL of the DataStore workloads)
run_pgb() {
    local wl=$1 wconc=$2 conc=$3 rep=$4 dur=$5 rec=$6
    shift 6
    local j=2 name raw b a load0
    [ "$conc" -lt 2 ] && j=1
    SEQ=$((SEQ + 1))
    name=$(printf '%03d-%s-%s-c%s-pgbench-c%s-r%s' "$SEQ" "$wl" "${PGB_SYS:-P}" "$wconc" "$conc" "$rep")
    raw=$RAW/$name.txt
    b=$(cpu_snapshot)
    load0=$(cut -d' ' -f1-3 /proc/loadavg)
    pgbench -n -M prepared -h "$PGDIR" -p "$PGPORT" -U postgres -c "$conc" -j "$j" -T "$dur" \
        "$@" opendata >"$raw.full" 2>&1 || echo "(pgbench exit status $?)" >>"$raw.full"
    a=$(cpu_snapshot)
    [ "$rec" = 1 ] || { rm -f "$raw.full"; return 0; }
    # keep the summary; with one script per id the per-script sections are long and alike
    {
        echo "\$ pgbench -n -M prepared -h <socket dir> -c $conc -j $j -T $dur $(printf '%s\n' "$@" | grep -c -e '^-f$') script(s)  # load average before: $load0"
        awk '/^SQL script [0-9]+:/ && ++n > 1 {skip = 1} !skip' "$raw.full"
        grep -q '^SQL script 2:' "$raw.full" && echo "(per-script sections 2.. omitted)"
    } >"$raw"
    rm -f "$raw.full"
    local tps lat failed
    tps=$(awk '/^tps = / {print $3}' "$raw" | tail -n 1)
    lat=$(awk '/^latency average = / {print $4}' "$raw" | tail -n 1)
    failed=$(awk -F'[:(]' '/^number of failed transactions/ {gsub(/ /, "", $2); print $2}' "$raw" | tail -n 1)
    read -r bs bp bn <<<"$b"
    read -r as ap an <<<"$a"
    record "$wl" "${PGB_SYS:-P}" "$wconc" "$rep" "${tps:-0}" "${lat:--}" - - "${failed:-0}" 0 \
        "$(awk '/^number of transactions actually processed/ {print $NF}' "$raw" | tail -n 1)" \
        - "$(secs $((ap - bp)))" - "$conc" "$name"
    log "$name: ${tps:-?} tps, latency avg ${lat:-?} ms"
}

# ---- the server -------------------------------------------------------------------------------
start_server() { # ACCESS_LOG(true|false) LOGFILE [more server options]
    local alog=$1 slog=$2
    shift 2
    "$T/app/bin/opendatad" serve --db "$URI" --listen "127.0.0.1:$SPORT" --threads "$THREADS" \
        --site-url "$SITE_URL" --timezone "$TZ_NAME" --sru "$SRU" --access-log "$alog" "$@" 2>"$slog" &
    SRV_PID=$!
    local i
    for i in $(seq 100); do
        curl -fs -o /dev/null "http://127.0.0.1:$SPORT/api/3/action/status_show" && return 0
        kill -0 "$SRV_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "bench: the server did not come up; its log:" >&2
    cat "$slog" >&2
    exit 1
}
stop_server() {
    [ -n "$SRV_PID" ] || return 0
    kill "$SRV_PID" 2>/dev/null || true
    wait "$SRV_PID" 2>/dev/null || true
    SRV_PID=
}
mem_line() { # LABEL  (memory.tsv: label VmRSS VmHWM cpu_s RssAnon RssFile, kB)
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$(rss_kb "$SRV_PID")" "$(hwm_kb "$SRV_PID")" \
        "$(secs "$(ticks "$SRV_PID")")" "$(anon_kb "$SRV_PID")" "$(rssfile_kb "$SRV_PID")" >>"$T/memory.tsv"
}

# =============================================================================================
log "working in $T"
meta date "$(date -u '+%Y-%m-%d %H:%M UTC')"
meta commit "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
meta dirty "$(git status --porcelain 2>/dev/null | grep -c . || true)"
meta nproc "$(nproc)"
meta cpu "$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
meta mem "$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
meta kernel "$(uname -r)"
meta loadavg "$(cut -d' ' -f1-3 /proc/loadavg)"
meta os "$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
meta wrk "$(wrk -v 2>&1 | head -n 1 | awk '{print $2}')"
meta nginx "$(nginx -v 2>&1 | sed 's/.*nginx\///')"
meta pgbench "$(pgbench --version | awk '{print $3}')"
meta quick "${BENCH_QUICK:-0}"
meta duration "$DUR"
meta warmup "$WARM"
meta reps "$REPS"
meta reps_other "$REPS_OTHER"
meta reps_w1b "$REPS_W1B"
meta concs "$CONCS"
meta threads "$THREADS"
meta nids "$NIDS"
meta w8_conns "$W8_CONNS"
meta wrk_timeout "$WRK_TIMEOUT"

# a snapshot of the binaries and their SQL/schemas: a rebuild during the run cannot mix versions
cp bin/opendatad bin/opendata-import "$T/app/bin/"
cp -r sql schemas "$T/app/"
"$T/app/bin/opendatad" --help >/dev/null 2>&1 || { echo "bench: bin/opendatad does not run" >&2; exit 1; }

# ---- data -----------------------------------------------------------------------------------
log "generating $NREC catalogue records"
python3 tests/perf/gen_catalog.py "$T/catalog.json" -n "$NREC" --seed 1 --ids "$T/ids.txt"
meta t_catalog_start "$(date +%s)"
meta catalog_bytes "$(stat -c %s "$T/catalog.json")"
meta records "$NREC"

log "starting PostgreSQL"
URI=$(scripts/pg-local.sh start "$PGDIR" "$PGPORT")
meta pg_version "$(psqlq -c 'SHOW server_version')"
psqlq -F '=' -c "SELECT name, current_setting(name) FROM pg_settings WHERE name IN
    ('shared_buffers', 'work_mem', 'effective_cache_size', 'max_connections', 'jit', 'fsync',
     'synchronous_commit', 'wal_level', 'max_wal_size', 'max_parallel_workers_per_gather',
     'random_page_cost', 'huge_pages') ORDER BY name" >"$T/pg_settings.txt"

log "db init"
s0=$(date +%s.%N)
"$T/app/bin/opendatad" db init --db "$URI" >"$RAW/000-db-init.txt" 2>&1
s1=$(date +%s.%N)
meta db_init_s "$(awk -v a="$s0" -v b="$s1" 'BEGIN {printf "%.2f", b - a}')"

log "importing the catalogue"
s0=$(date +%s.%N)
"$T/app/bin/opendata-import" catalog "$T/catalog.json" --db "$URI" >"$RAW/000-import.txt" 2>&1 ||
    note "opendata-import exited with status $? (see the raw output)"
s1=$(date +%s.%N)
meta import_s "$(awk -v a="$s0" -v b="$s1" 'BEGIN {printf "%.2f", b - a}')"
meta import_summary "$(tail -n 1 "$RAW/000-import.txt")"
log "importing the catalogue again (every record unchanged)"
s0=$(date +%s.%N)
"$T/app/bin/opendata-import" catalog "$T/catalog.json" --db "$URI" >"$RAW/000-reimport.txt" 2>&1 ||
    note "opendata-import (again) exited with status $? (see the raw output)"
s1=$(date +%s.%N)
meta reimport_s "$(awk -v a="$s0" -v b="$s1" 'BEGIN {printf "%.2f", b - a}')"
meta reimport_summary "$(tail -n 1 "$RAW/000-reimport.txt")"
psqlq -c "VACUUM ANALYZE" 2>/dev/null || true
meta n_package "$(psqlq -c "SELECT count(*) FROM package WHERE state = 'active'")"
meta n_resource "$(psqlq -c "SELECT count(*) FROM resource WHERE state = 'active'")"
meta n_tag "$(psqlq -c "SELECT count(*) FROM tag")"
meta n_org "$(psqlq -c "SELECT count(*) FROM grp WHERE is_organization")"
meta db_size "$(psqlq -c "SELECT pg_size_pretty(pg_database_size('opendata'))")"
meta package_size "$(psqlq -c "SELECT pg_size_pretty(pg_total_relation_size('package'))")"

# ---- server, request mixes ------------------------------------------------------------------
SPORT=$(free_port)
start_server false "$T/server-main.log"
log "server pid $SRV_PID on port $SPORT"
mem_line start
meta server_conns_idle "$(server_conns)"

stride=$((NREC / NIDS))
[ "$stride" -ge 1 ] || stride=1
awk -v s="$stride" -v n="$NIDS" '(NR - 1) % s == 0 && c < n {print; c++}' "$T/ids.txt" >"$T/ids-mix.txt"
sed "s,^,$SRU/rest/dataset/," "$T/ids-mix.txt" >"$T/paths-w1a.txt"
sed "s,^,$SRU/rest/dataset/," "$T/ids.txt" >"$T/paths-w1a-all.txt"
# W1: the same datasets by their CKAN name (the identifier in lower case)
tr 'A-Z' 'a-z' <"$T/ids-mix.txt" >"$T/names-mix.txt"
sed "s,^,/api/3/action/package_show?id=," "$T/names-mix.txt" >"$T/paths-w1.txt"
echo /api/3/action/status_show >"$T/paths-w1b.txt"
nmix=$(wc -l <"$T/ids-mix.txt")

# pgbench scripts: one per id (pgbench variables are numbers or -D strings), so that each
# transaction sends the server's exact prepared statement, e.g. SELECT tw_dataset_show($1, $2).
# pgb_per_value ARRAY NAME VALUES SQL: a script per line of VALUES, :v in SQL standing for it,
# appended to the array ARRAY as -D/-f arguments
pgb_per_value() {
    local -n out=$1
    local name=$2 values=$3 sql=$4 v k=0
    while read -r v; do
        k=$((k + 1))
        echo "${sql//:v/:v$k};" >"$T/pgb/$name-$k.sql"
        out+=(-D "v$k=$v" -f "$T/pgb/$name-$k.sql")
    done <"$values"
}
PGB_W1A=(-D "tz=$TZ_NAME")
pgb_per_value PGB_W1A w1a "$T/ids-mix.txt" "SELECT tw_dataset_show(:v, :tz)"
PGB_W1=(-D "site=$SITE_URL")
# (the server sends the caller, NULL for an anonymous one, as $3: pgbench variables cannot be NULL)
# (and the request's language, NULL outside a language prefix, as $4, set for the statement)
pgb_per_value PGB_W1 w1 "$T/names-mix.txt" "WITH ckan_l AS MATERIALIZED (SELECT set_config('opendatad.lang', coalesce(NULL::text, ''), true)) SELECT (SELECT body FROM ckan_package_show(:v, :site, NULL::ckan_viewer) body) FROM ckan_l"
echo "SELECT ckan_status_show(:site, :ver, :srv);" >"$T/pgb/w1b.sql"
PGB_W1B=(-D "site=$SITE_URL" -D "ver=$CKAN_VERSION" -D "srv=$SERVER_VERSION" -f "$T/pgb/w1b.sql")

# ---- checks: the SQL the server sends, the bytes ------------------------------------------------
log "checking the SQL the server sends (log_min_duration_statement = 0)"
psqlq -c "ALTER SYSTEM SET log_min_duration_statement = 0" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
lines0=$(wc -l <"$PGDIR/postgres.log")
first_id=$(head -n 1 "$T/ids-mix.txt")
first_name=$(head -n 1 "$T/names-mix.txt")
curl -s -o /dev/null "http://127.0.0.1:$SPORT/api/3/action/package_show?id=$first_name"
curl -s -o /dev/null "http://127.0.0.1:$SPORT$SRU/rest/dataset/$first_id"
curl -s -o /dev/null "http://127.0.0.1:$SPORT/api/3/action/status_show"
sleep 0.5
psqlq -c "ALTER SYSTEM RESET log_min_duration_statement" -c "SELECT pg_reload_conf()" >/dev/null
tail -n +"$((lines0 + 1))" "$PGDIR/postgres.log" | grep -E 'parse|bind|execute|parameters:|statement:' |
    grep -v -E 'pg_reload_conf|ALTER SYSTEM|pg_stat_activity' | sed 's/^.*\(LOG\|DETAIL\): */\1: /' \
        >"$RAW/000-server-sql.txt" || true
grep -q 'tw_dataset_show(\$1, \$2)' "$RAW/000-server-sql.txt" ||
    note "the PostgreSQL log does not show SELECT tw_dataset_show(\$1, \$2) as a prepared statement (see the raw output): P may not run the server's SQL"
# (an anonymous package_show is answered from memory once computed: the statement that computes
# it adds the generation; P runs the statement without it, what a server asking PostgreSQL on
# every request runs)
grep -q "set_config('opendatad.lang', coalesce(\$4::text, ''), true)) SELECT (SELECT body FROM ckan_package_show(\$1, \$2, \$3::ckan_viewer) body)" "$RAW/000-server-sql.txt" ||
    note "the PostgreSQL log does not show the server's package_show statement (ckan_package_show(\$1, \$2, \$3::ckan_viewer) under the language's set_config) as a prepared statement: P may not run the server's SQL"
grep -q 'ckan_status_show(\$1, \$2, \$3)' "$RAW/000-server-sql.txt" ||
    note "the PostgreSQL log does not show SELECT ckan_status_show(\$1, \$2, \$3) as a prepared statement: P may not run the server's SQL"

log "capturing response bodies for nginx"
NG=$T/ngx
WWW=$NG/www
mkdir -p "$NG/tmp" "$NG/logs" "$WWW$SRU/rest/dataset" "$WWW/api/3/action" "$WWW/q/api/3/action/package_show"
: >"$T/check.txt"
check() { echo "$*" >>"$T/check.txt"; }
# the file a captured body of a path with a query string is kept in (and nginx serves)
body_file() { python3 tests/perf/ds_tool.py body "$WWW" "$1"; }
# the Content-Type our answers to a path carry: CKAN's exact string, or the Taiwan API's
ctype_of() {
    case "$1" in
    /api/3/* | /api/action/* | /datastore/*) echo "$ctype_ckan" ;;
    *) echo "$ctype_ours" ;;
    esac
}
# capture WL PATHS NAMER: every path once into the file the function NAMER names for it; each
# answer other than 200 with our Content-Type is a check line; prints how many there were
capture() {
    local wl=$1 paths=$2 namer=$3 p f r n=0
    while read -r p; do
        f=$("$namer" "$p")
        mkdir -p "$(dirname "$f")"
        r=$(curl -s -o "$f" -w '%{http_code}|%{content_type}' "http://127.0.0.1:$SPORT$p")
        [ "${r%%|*}" = 200 ] || { n=$((n + 1)); check "$wl: $p answered ${r%%|*}: $(head -c 300 "$f")"; }
        [ "${r#*|}" = "$(ctype_of "$p")" ] || { n=$((n + 1)); check "$wl: Content-Type ${r#*|}"; }
    done <"$paths"
    echo "$n"
}
bad_w1=0
bad_w1a=0
bad_w1b=0
ctype_ours=
while read -r p; do
    r=$(curl -s -o "$WWW$p" -w '%{http_code}|%{content_type}' "http://127.0.0.1:$SPORT$p")
    [ "${r%%|*}" = 200 ] || { bad_w1a=$((bad_w1a + 1)); [ "$bad_w1a" -le 3 ] && check "W1a: $p answered ${r%%|*}: $(head -c 300 "$WWW$p")"; }
    ctype_ours=${r#*|}
done <"$T/paths-w1a.txt"
r=$(curl -s -o "$WWW/api/3/action/status_show" -w '%{http_code}|%{content_type}' \
    "http://127.0.0.1:$SPORT/api/3/action/status_show")
[ "${r%%|*}" = 200 ] || { bad_w1b=1; check "W1b: status_show answered ${r%%|*}"; }
ctype_ckan=${r#*|}
meta content_type "$ctype_ours"
meta content_type_ckan "$ctype_ckan"
check "ours: $((nmix - bad_w1a))/$nmix rest/dataset answers 200, status_show ${r%%|*}; Content-Type: $ctype_ours (Taiwan API), $ctype_ckan (CKAN)"

# the same id twice gives the same bytes (no per-request variation, so nginx can stand in)
curl -s "http://127.0.0.1:$SPORT$SRU/rest/dataset/$first_id" | cmp -s - "$WWW$SRU/rest/dataset/$first_id" ||
    { bad_w1a=$((bad_w1a + 1)); check "W1a: two answers for $first_id differ"; }

# W1: each package_show answer once (the bodies nginx serves)
bad_w1=$(capture W1 "$T/paths-w1.txt" body_file)

# JSON parses, the envelope is right, the dataset is the one asked for (exit status: 1 for a bad
# W1a body, 2 for a bad W1 one)
st=0
python3 - "$WWW" "$SRU" "$T/ids-mix.txt" "$T/paths-w1.txt" >>"$T/check.txt" <<'PY' || st=$?
import json, os, sys, urllib.parse
sys.path.insert(0, "tests/perf")
import ds_tool
www, sru, ids = sys.argv[1], sys.argv[2], open(sys.argv[3]).read().split()
w1_paths = open(sys.argv[4]).read().split()


def check_bodies(label, items, key, files_key):
    """items: (file, the value result[key] must have); files_key: the list that has 1-3 items"""
    bad, sizes = 0, []
    for f, want in items:
        raw = open(f, "rb").read()
        sizes.append(len(raw))
        try:
            d = json.loads(raw)
            assert d["success"] is True and d["result"][key] == want, "wrong envelope/" + key
            assert 1 <= len(d["result"][files_key]) <= 3
        except Exception as e:
            bad += 1
            if bad <= 3:
                print("%s: %s: body does not check: %s" % (label, want, e))
    return bad, "%d/%d bodies parse and name their dataset; body bytes min %d, mean %d, max %d" % (
        len(items) - bad, len(items), min(sizes), sum(sizes) // len(sizes), max(sizes))


bad_a, line_a = check_bodies("W1a", [(os.path.join(www + sru, "rest/dataset", i), i) for i in ids],
                             "identifier", "distribution")
bad_1, line_1 = check_bodies("W1", [(ds_tool.body_file(www, p), urllib.parse.parse_qs(p.split("?", 1)[1])["id"][0])
                                    for p in w1_paths], "name", "resources")
s = json.load(open(os.path.join(www, "api/3/action/status_show"), "rb"))
assert s["success"] is True and s["result"]["ckan_version"], "status_show envelope"
print("JSON: W1a rest/dataset %s; status_show %d bytes" % (
    line_a, os.path.getsize(os.path.join(www, "api/3/action/status_show"))))
print("JSON: W1 package_show %s" % line_1)
sys.exit((1 if bad_a else 0) | (2 if bad_1 else 0))
PY
[ $((st & 1)) = 0 ] || bad_w1a=$((bad_w1a + 1))
[ $((st & 2)) = 0 ] || bad_w1=$((bad_w1 + 1))

# the same name twice gives the same bytes; P's result in the envelope is the server's body
w1_first=$(body_file "$(head -n 1 "$T/paths-w1.txt")")
curl -s "http://127.0.0.1:$SPORT$(head -n 1 "$T/paths-w1.txt")" | cmp -s - "$w1_first" ||
    { bad_w1=$((bad_w1 + 1)); check "W1: two answers for $first_name differ"; }
psql_body=$(psqlq -c "SELECT body FROM ckan_package_show('$first_name', '$SITE_URL', NULL) body")
if printf '{"help":"%s/api/3/action/help_show?name=package_show","success":true,"result":%s}' "$SITE_URL" "$psql_body" |
    cmp -s - "$w1_first"; then
    check "P: {\"help\":…,\"success\":true,\"result\":<body of ckan_package_show('$first_name', '$SITE_URL', NULL)>} == the server's body"
else
    check "P: the SQL result for $first_name wrapped in the envelope differs from the server's body"
    bad_w1=$((bad_w1 + 1))
fi

# P runs the same SQL: its result, in the server's envelope, is the server's body
psql_body=$(psqlq -c "SELECT tw_dataset_show('$first_id', '$TZ_NAME')")
if printf '{"success":true,"result":%s}' "$psql_body" | python3 tests/perf/ds_tool.py compact |
    cmp -s - "$WWW$SRU/rest/dataset/$first_id"; then
    check "P: {\"success\":true,\"result\":<tw_dataset_show('$first_id', '$TZ_NAME')>}, whitespace outside strings removed (the Taiwan API's one spacing style), == the server's body"
else
    check "P: the SQL result for $first_id wrapped in the envelope differs from the server's body"
    bad_w1a=$((bad_w1a + 1))
fi
psql_body=$(psqlq -c "SELECT ckan_status_show('$SITE_URL', '$CKAN_VERSION', '$SERVER_VERSION')")
if grep -qF "\"result\":$psql_body}" "$WWW/api/3/action/status_show"; then
    check "P: ckan_status_show('$SITE_URL', '$CKAN_VERSION', '$SERVER_VERSION') is the result of the server's status_show body"
else
    check "P: ckan_status_show('$SITE_URL', '$CKAN_VERSION', '$SERVER_VERSION') is not what the server returned"
    bad_w1b=1
fi

# ---- nginx ----------------------------------------------------------------------------------
NPORT=$(free_port)
nginx_conf "$NG" "$WWW" "$NPORT" "$ctype_ours" "$ctype_ckan"
chmod -R a+rX "$NG"
nginx -p "$NG" -c "$NG/nginx.conf" 2>"$NG/logs/start.log" ||
    { cat "$NG/logs/start.log" >&2; echo "bench: nginx did not start" >&2; exit 1; }
for i in $(seq 50); do [ -s "$NG/nginx.pid" ] && break; sleep 0.1; done
NGX_PID=$(cat "$NG/nginx.pid")
log "nginx pid $NGX_PID on port $NPORT"

nbad=0
while read -r p; do
    curl -s "http://127.0.0.1:$NPORT$p" | cmp -s - "$WWW$p" || nbad=$((nbad + 1))
done < <(cat "$T/paths-w1a.txt" "$T/paths-w1b.txt")
while read -r p; do
    curl -s "http://127.0.0.1:$NPORT$p" | cmp -s - "$(body_file "$p")" || nbad=$((nbad + 1))
done <"$T/paths-w1.txt"
nchecked=$((nmix * 2 + 1)) # the W1 and W1a mixes and status_show
hdr_o=$(curl -s -o /dev/null -w '%{size_header}' "http://127.0.0.1:$SPORT$SRU/rest/dataset/$first_id")
hdr_n=$(curl -s -o /dev/null -w '%{size_header}' "http://127.0.0.1:$NPORT$SRU/rest/dataset/$first_id")
ct_n=$(curl -s -o /dev/null -w '%{content_type}' "http://127.0.0.1:$NPORT$SRU/rest/dataset/$first_id")
ct_nc=$(curl -s -o /dev/null -w '%{content_type}' "http://127.0.0.1:$NPORT$(head -n 1 "$T/paths-w1.txt")")
check "N: $((nchecked - nbad))/$nchecked nginx bodies byte-identical to ours; Content-Type: $ct_n (Taiwan API), $ct_nc (CKAN); header bytes ours $hdr_o, nginx $hdr_n"
[ "$nbad" = 0 ] && [ "$ct_n" = "$ctype_ours" ] && [ "$ct_nc" = "$ctype_ckan" ] ||
    { bad_w1=$((bad_w1 + 1)); bad_w1a=$((bad_w1a + 1)); check "N: nginx does not serve the same bytes / type"; }
{
    echo "--- ours"; curl -s -D - -o /dev/null "http://127.0.0.1:$SPORT$SRU/rest/dataset/$first_id"
    echo "--- nginx"; curl -s -D - -o /dev/null "http://127.0.0.1:$NPORT$SRU/rest/dataset/$first_id"
} | tr -d '\r' >"$RAW/000-headers.txt"
meta bad_w1 "$bad_w1"
meta bad_w1a "$bad_w1a"
meta bad_w1b "$bad_w1b"
cat "$T/check.txt" >&2

# ---- timed runs ------------------------------------------------------------------------------
OURS=http://127.0.0.1:$SPORT
NGINX=http://127.0.0.1:$NPORT

workload() { # NAME PATHS pgbench-args...  (WL_CONCS: other concurrencies than $CONCS)
    local wl=$1 paths=$2
    shift 2
    local conc reps r pc
    for conc in ${WL_CONCS:-$CONCS}; do
        reps=$REPS_OTHER
        [ "$conc" = 16 ] && reps=${WL_REPS16:-$REPS}
        log "$wl c=$conc: warm-up ${WARM}s each"
        run_wrk "$wl" ours "$conc" 0 "$paths" "$OURS" "$WARM" 0
        pc=$(server_conns)
        [ "$pc" -ge 1 ] 2>/dev/null || pc=$((THREADS * 2))
        [ "$pc" -gt "$conc" ] && pc=$conc
        run_pgb "$wl" "$conc" "$pc" 0 "$WARM" 0 "$@"
        run_wrk "$wl" N "$conc" 0 "$paths" "$NGINX" "$WARM" 0
        for r in $(seq "$reps"); do
            run_wrk "$wl" ours "$conc" "$r" "$paths" "$OURS" "$DUR"
            run_pgb "$wl" "$conc" "$pc" "$r" "$DUR" 1 "$@"
            run_wrk "$wl" N "$conc" "$r" "$paths" "$NGINX" "$DUR"
        done
        mem_line "after $wl c=$conc"
    done
}

if [ "$bad_w1" = 0 ]; then
    workload W1 "$T/paths-w1.txt" "${PGB_W1[@]}"
else
    note "W1 not timed: the byte checks failed (see Checks)"
fi
if [ "$bad_w1a" = 0 ]; then
    WL_CONCS=${BENCH_W1A_CONCS:-16} workload W1a "$T/paths-w1a.txt" "${PGB_W1A[@]}"
    log "W1a variants: all $NREC ids (beside a reference run of the mix); P at the pool minimum"
    run_wrk W1a-ref ours 16 1 "$T/paths-w1a.txt" "$OURS" "$DUR"
    run_wrk W1a-all ours 16 1 "$T/paths-w1a-all.txt" "$OURS" "$DUR"
    run_pgb W1a-pmin 16 $((THREADS * 2)) 1 "$DUR" 1 "${PGB_W1A[@]}"
else
    note "W1a not timed: the byte checks failed (see Checks)"
fi
if [ "$bad_w1b" = 0 ]; then
    WL_CONCS=16 WL_REPS16=$REPS_W1B workload W1b "$T/paths-w1b.txt" "${PGB_W1B[@]}"
else
    note "W1b not timed: the byte checks failed (see Checks)"
fi

# ---- W8: 10,000 concurrent keep-alive connections ------------------------------------------------
if [ "$bad_w1a" = 0 ]; then
    log "W8: $W8_CONNS connections"
    mem_line "W8 before"
    run_wrk W8 ours "$W8_CONNS" 1 "$T/paths-w1a.txt" "$OURS" "$DUR" &
    wpid=$!
    sleep $((DUR / 2))
    meta w8_established "$(ss -Htn state established "( sport = :$SPORT )" 2>/dev/null | wc -l)"
    mem_line "W8 during"
    meta w8_server_conns "$(server_conns)"
    wait "$wpid"
    SEQ=$((SEQ + 1)) # the run's number was taken in the background subshell
    mem_line "W8 after"
    sleep 3
    mem_line "W8 +3 s (connections closed)"
fi
meta server_errors "$(grep -ci 'error' "$T/server-main.log" || true)"
grep -i 'error\|warn' "$T/server-main.log" | sort | uniq -c | sort -rn | head -n 20 >"$RAW/000-server-log-errors.txt" || true
stop_server

# ---- the access log's cost -----------------------------------------------------------------------
if [ "$bad_w1a" = 0 ]; then
    log "W1a c=16 with --access-log true (stderr to a file)"
    start_server true "$T/server-accesslog.log"
    run_wrk W1a-log ours 16 0 "$T/paths-w1a.txt" "$OURS" "$WARM" 0
    run_wrk W1a-log ours 16 1 "$T/paths-w1a.txt" "$OURS" "$DUR"
    meta accesslog_lines "$(wc -l <"$T/server-accesslog.log")"
    meta accesslog_sample "$(grep -m 1 'rest/dataset' "$T/server-accesslog.log" | cut -c1-200)"
    stop_server

    # the pool's size: at most 2 connections per thread (4 backends) instead of up to 8 (16)
    log "W1a with --db-pool-max 2"
    start_server false "$T/server-pool2.log" --db-pool-max 2
    run_wrk W1a-pool2 ours 16 0 "$T/paths-w1a.txt" "$OURS" "$WARM" 0
    run_wrk W1a-pool2 ours 16 1 "$T/paths-w1a.txt" "$OURS" "$DUR"
    stop_server
fi

# ---- package_search: W2, W2b on the grown catalogue (tests/perf/bench_search.sh) ----------------
if [ "${BENCH_SEARCH:-1}" = 1 ]; then
    . tests/perf/bench_search.sh
fi

# ---- DataStore: W6, W3, W3b, W3c, W4, W5, W5b (tests/perf/bench_ds.sh) ------------------------
if [ "${BENCH_DATASTORE:-1}" = 1 ]; then
    . tests/perf/bench_ds.sh
fi
# ---- the workloads with scripts of their own (tests/perf/bench_extras.sh) ------------------------
if [ "${BENCH_EXTRAS:-all}" != none ]; then
    [ "${BENCH_EXTRAS:-all}" = all ] && unset BENCH_EXTRAS
    . tests/perf/bench_extras.sh
fi
meta loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"

# ---- report ----------------------------------------------------------------------------------
python3 tests/perf/report.py "$T" "$OUT"
log "wrote $OUT"
