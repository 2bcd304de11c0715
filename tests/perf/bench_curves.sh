#!/usr/bin/env bash
# bench_curves.sh — cost curves: how the ratios to the comparators move as the work grows.
# make bench's own workloads (tests/perf/bench.sh), run once per point with shorter runs:
#   catalogue points (CURVE_SIZES datasets): W1 package_show, W1a rest/dataset, W2 package_search
#     with q and facets, W2b the default page;
#   DataStore points (CURVE_ROWS rows): W3 datastore_search with a filter, W3c a 32,000-row page,
#     W5 the dump's first request, W6 the import until queryable.
# Each point's summary goes to OUT/<point>.md; tests/perf/curves.py reads their goal tables into
# OUT/curves.tsv and draws one SVG per curve with gnuplot (OUT/*.svg).
#   tests/perf/bench_curves.sh            (sizes from CURVE_SIZES, CURVE_ROWS; OUT=CURVE_OUT)
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZES=${CURVE_SIZES:-"1000 10000 50000 200000"}
ROWS=${CURVE_ROWS:-"100000 1000000 10000000"}
OUT=${CURVE_OUT:-docs/bench/curves}
DUR=${CURVE_DURATION:-5}
mkdir -p "$OUT"
rm -f "$OUT"/*.md "$OUT"/*.svg "$OUT"/curves.tsv "$OUT"/meta.txt
T=$(mktemp -d /tmp/opendatad-curves.XXXXXX)
trap 'rm -rf "$T"' EXIT
common=(BENCH_DURATION="$DUR" BENCH_WARMUP=1 BENCH_REPS=1 BENCH_CONCS=16 BENCH_W1A_CONCS=16
        BENCH_W8_CONNS=100 BENCH_EXTRAS=none BENCH_QUICK=0)
for n in $SIZES; do
    echo "[curves] catalogue of $n datasets" >&2
    env "${common[@]}" BENCH_RECORDS="$n" BENCH_SEARCH_RECORDS="$n" BENCH_DATASTORE=0 \
        BENCH_W2B_CONCS=16 BENCH_OUT="$T/cat-$n/B.md" tests/perf/bench.sh >"$T/cat-$n.log" 2>&1 ||
        echo "[curves] the run for $n datasets failed (see below)" >&2
    cp "$T/cat-$n/B.md" "$OUT/catalogue-$n.md" 2>/dev/null || tail -20 "$T/cat-$n.log" >&2
done
for r in $ROWS; do
    echo "[curves] DataStore table of $r rows" >&2
    env "${common[@]}" BENCH_RECORDS=1000 BENCH_SEARCH=0 BENCH_ROWS="$r" BENCH_DS_CONCS=16 \
        BENCH_DS_SHORT="$DUR" BENCH_W5_REPS=1 BENCH_OUT="$T/ds-$r/B.md" tests/perf/bench.sh \
        >"$T/ds-$r.log" 2>&1 || echo "[curves] the run for $r rows failed (see below)" >&2
    cp "$T/ds-$r/B.md" "$OUT/datastore-$r.md" 2>/dev/null || tail -20 "$T/ds-$r.log" >&2
done
{
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "loadavg=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "sizes=$SIZES"
    echo "rows=$ROWS"
} >"$OUT/meta.txt"
/usr/bin/python3 tests/perf/curves.py "$OUT"
