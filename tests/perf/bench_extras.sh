# bench_extras.sh — sourced by bench.sh after the DataStore part: the workloads that have a script
# of their own, each run with its own throwaway cluster and server, its whole output kept as
# raw/extra-NAME.txt; report_extras.py reads the figures back (each one a ratio to its comparator):
#
#   upsert   datastore_upsert of 10,000 records vs COPY of the same rows (bench_ds_upsert.py)
#   write    W9a package_create / W9b package_update vs pgbench of the same SQL (bench_write.sh)
#   upload   an uploaded CSV until queryable vs opendata-import of the same file (bench_upload.sh)
#   filter   the Filter API streaming a table vs COPY of the same rows (bench_filter.py)
#   nearest  datastore_nearest vs pgbench of the same SQL (bench_nearest.sh)
#   lang     package_search under /tc-data vs the same under /api/3 (bench_lang.sh)
#   pooler   the same reads through PgBouncer (session, transaction) vs directly (bench_pooler.sh)
#   mixed    W7: a W1/W3/W2 read mix while a CSV import runs vs the mix alone (bench_mixed.sh)
#
# BENCH_EXTRAS="upsert write ..." picks some (default: all); sizes follow BENCH_QUICK.
extra() { # NAME command...
    local name=$1 s0 rc=0
    shift
    case " ${BENCH_EXTRAS:-upsert write upload filter nearest lang pooler mixed} " in *" $name "*) ;; *) return 0 ;; esac
    log "extra workload $name: $*"
    s0=$(date +%s)
    {
        echo "\$ $*  # load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
        "$@" 2>&1 || rc=$?
        echo "(exit status $rc, $(($(date +%s) - s0)) s)"
    } >"$RAW/extra-$name.txt"
    [ "$rc" = 0 ] || note "extra workload $name exited with status $rc (see raw/extra-$name.txt)"
}
meta loadavg_extras "$(cut -d' ' -f1-3 /proc/loadavg)"
if [ "${BENCH_QUICK:-0}" = 1 ]; then
    extra upsert /usr/bin/python3 tests/perf/bench_ds_upsert.py 10000 3
    extra write env BW_RECORDS=500 BW_CONCS=16 BW_DURATION=3 BW_WARMUP=1 BW_REPS=1 tests/perf/bench_write.sh
    extra upload env BENCH_ROWS=100000 UPLOAD_REPS=1 tests/perf/bench_upload.sh
    extra filter /usr/bin/python3 tests/perf/bench_filter.py -n 100000 --reps 1
    extra nearest env NB_POINTS=20000 NB_REPS=1 NB_DUR=3 NB_WARM=1 NB_CONCS=16 tests/perf/bench_nearest.sh
    extra lang tests/perf/bench_lang.sh 1000 3
    extra pooler tests/perf/bench_pooler.sh 1000 3 1
    extra mixed tests/perf/bench_mixed.sh 1000 200000 10
else
    extra upsert /usr/bin/python3 tests/perf/bench_ds_upsert.py 10000 5
    extra write env BW_REPS=3 BW_DURATION="$DUR" tests/perf/bench_write.sh
    extra upload env BENCH_ROWS=1000000 UPLOAD_REPS=3 tests/perf/bench_upload.sh
    extra filter /usr/bin/python3 tests/perf/bench_filter.py -n 1000000 --reps 3
    extra nearest env NB_DUR="$DUR" tests/perf/bench_nearest.sh
    extra lang tests/perf/bench_lang.sh 5000 "$DUR"
    extra pooler tests/perf/bench_pooler.sh 2000 "$DUR" 3
    extra mixed tests/perf/bench_mixed.sh 2000 1000000 30
fi
