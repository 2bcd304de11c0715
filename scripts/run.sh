#!/usr/bin/env bash
# make run: a local cluster under var/ (unless DATABASE_URL is set), the schema, the demo
# catalogue (loaded once) and its data files (DataStore), then the server in the foreground on
# 127.0.0.1:5000. Ctrl-C stops the server and the cluster.
# OPENDATA_RUN_DIR (default var) and OPENDATA_RUN_PGPORT (5432) move the cluster (tests).
set -euo pipefail
cd "$(dirname "$0")/.."
vardir=${OPENDATA_RUN_DIR:-var}
pgport=${OPENDATA_RUN_PGPORT:-5432}

started_cluster=""
cleanup() {
    if [ -n "$started_cluster" ]; then
        echo "stopping the local PostgreSQL cluster"
        scripts/pg-local.sh stop "$vardir/pg"
    fi
}
trap cleanup EXIT

if [ -z "${DATABASE_URL:-}" ]; then
    # One `make run` per checkout: a second one would share the cluster and stop it on exit.
    # The lock is held (fd 9, inherited by the server) until this script ends.
    mkdir -p "$vardir"
    exec 9>"$vardir/run.lock"
    if ! flock -n 9; then
        echo "make run: another \`make run\` is already running in this checkout" \
             "(it holds $vardir/run.lock); stop it first" >&2
        exit 1
    fi
    # (9>&-: the cluster must not inherit the lock)
    DATABASE_URL=$(scripts/pg-local.sh start "$vardir/pg" "$pgport" 9>&-)
    started_cluster=1
fi
export DATABASE_URL

bin/opendatad db init
loaded=$(psql "$DATABASE_URL" -qAtc "SELECT value FROM system_info WHERE key = 'demo.loaded'")
if [ -z "$loaded" ]; then
    echo "loading the demo catalogue (docs/demo/catalog.json)"
    bin/opendata-import catalog docs/demo/catalog.json
    psql "$DATABASE_URL" -qc "INSERT INTO system_info VALUES ('demo.loaded', now()::text)"
fi
# The DataStore: each CSV/XML file of docs/demo/data that a catalogue resource points to (its
# downloadURL ends in /demo/data/FILE), into that resource, unless it is loaded already.
psql "$DATABASE_URL" -qAtF ' ' -c "SELECT id, regexp_replace(download_url, '^.*/', '')
    FROM resource WHERE download_url LIKE '%/demo/data/%' AND NOT datastore_active ORDER BY id" |
while read -r rid file; do
    case "$file" in
    *.csv) kind=csv ;;
    *.xml) kind=xml ;;
    *) continue ;;
    esac
    [ -f "docs/demo/data/$file" ] || continue
    bin/opendata-import "$kind" "docs/demo/data/$file" --resource-id "$rid" </dev/null ||
        echo "warning: docs/demo/data/$file was not loaded"
done
# make run ends with the server's status (0 after Ctrl-C or SIGTERM); the trap stops the cluster.
status=0
bin/opendatad serve "$@" || status=$?
exit "$status"
