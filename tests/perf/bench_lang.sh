#!/usr/bin/env bash
# bench_lang.sh — package_search rows=1000 under a language prefix (/tc-data) against the same
# request under /api/3, on a catalogue whose every dataset has translations (so every answer
# under /tc-data is made of the cached language dicts, sql/functions/25_i18n.sql), with the
# search cache on (the default page) and off (--search-cache-mb 0), and with a q.
#   tests/perf/bench_lang.sh [RECORDS=5000] [SECONDS=15]
# Prints requests/s per case (each side twice, alternated, averaged) and the ratio
# /tc-data : /api/3. Needs wrk and PostgreSQL.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
N=${1:-5000}
SECS=${2:-15}
T=$(mktemp -d /tmp/bench-lang.XXXXXX)
chmod 755 "$T"
PORT_PG=$((20000 + RANDOM % 20000))
PORT=$((PORT_PG + 1))
URI=$("$ROOT/scripts/pg-local.sh" start "$T/pg" "$PORT_PG" | tail -1)
PID=
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    "$ROOT/scripts/pg-local.sh" stop "$T/pg" >/dev/null 2>&1 || true
    rm -rf "$T"
}
trap cleanup EXIT
"$ROOT/bin/opendatad" db init --db "$URI" >/dev/null
/usr/bin/python3 "$ROOT/tests/perf/gen_catalog.py" "$T/cat.json" -n "$N" >/dev/null
"$ROOT/bin/opendata-import" catalog "$T/cat.json" --db "$URI" --jobs 2 >/dev/null 2>&1
# every dataset, resource and organization gets translations (the documents follow at commit)
psql -q "$URI" <<'SQL'
UPDATE package SET translated = jsonb_build_object(
    'title_translated', jsonb_build_object('en', 'EN ' || name, 'zh_TW', title || '（繁）',
                                           'zh_CN', title || '（简）'),
    'notes_translated', jsonb_build_object('en', 'English notes of ' || name));
UPDATE resource SET extras = extras || jsonb_build_object(
    'name_translated', jsonb_build_object('en', 'EN ' || id, 'zh_TW', coalesce(name, '') || '（繁）'));
UPDATE grp SET translated = jsonb_build_object(
    'title_translated', jsonb_build_object('en', 'EN ' || name, 'zh_TW', title || '（繁）'));
SQL
echo "catalogue: $N datasets, $(psql -tAq "$URI" -c "SELECT count(*) FROM ckan_doc_lang WHERE doc_zh_tw IS NOT NULL") with language dicts"

run() {  # label, extra server flags, query
    "$ROOT/bin/opendatad" serve --db "$URI" --listen "127.0.0.1:$PORT" --threads 2 $2 \
        2>/dev/null &
    PID=$!
    for _ in $(seq 50); do curl -fs "http://127.0.0.1:$PORT/api/3" >/dev/null && break; sleep 0.1; done
    local a=0 t=0 x
    for p in /api/3 /tc-data/api/3; do
        curl -fs "http://127.0.0.1:$PORT$p/action/package_search?$3" >/dev/null
    done
    # alternated twice, so that neither side always runs on the other's warm-up
    for p in /api/3 /tc-data/api/3 /tc-data/api/3 /api/3; do
        x=$(wrk -t2 -c8 -d"${SECS}s" "http://127.0.0.1:$PORT$p/action/package_search?$3" |
            awk '/Requests\/sec/ {print $2}')
        if [ "$p" = /api/3 ]; then a=$(echo "$a + $x / 2" | bc -l); else t=$(echo "$t + $x / 2" | bc -l); fi
    done
    printf '%-34s /api/3 %8.1f req/s   /tc-data %8.1f req/s   ratio %.2f\n' "$1" "$a" "$t" \
        "$(echo "$t / $a" | bc -l)"
    kill "$PID"; wait "$PID" 2>/dev/null || true
    PID=
}
run "rows=1000 (above the cache's entry size)" "" "rows=1000"
run "rows=10, search cache on" "" "rows=10"
run "rows=1000, search cache off" "--search-cache-mb 0" "rows=1000"
run "q=臺北 rows=1000" "" "q=%E8%87%BA%E5%8C%97&rows=1000"
