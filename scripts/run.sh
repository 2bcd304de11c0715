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
scripts/demo-load.sh bin docs/demo
# make run ends with the server's status (0 after Ctrl-C or SIGTERM); the trap stops the cluster.
status=0
bin/opendatad serve "$@" || status=$?
exit "$status"
