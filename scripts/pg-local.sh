#!/usr/bin/env bash
# pg-local.sh — a local PostgreSQL cluster for `make run`, the tests and the benchmarks.
#   pg-local.sh start DIR [PORT]   create (once) and start a cluster in DIR, socket in DIR;
#                                  prints the connection URI on stdout
#   pg-local.sh stop DIR           fast shutdown
#   pg-local.sh kill DIR           immediate shutdown (crash), for recovery tests
#   pg-local.sh uri DIR [PORT]     print the connection URI only
# PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user.
set -euo pipefail

PGBIN=${PGBIN:-$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)}
cmd=${1:?usage: pg-local.sh start|stop|kill|uri DIR [PORT]}
dir=$(realpath -m "${2:?missing DIR}")
port=${3:-5432}
data="$dir/data"

as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

uri() {
    # libpq URI with the socket directory percent-encoded in host=
    local enc
    enc=$(printf '%s' "$dir" | sed 's,/,%2F,g')
    printf 'postgresql://postgres@%s:%s/opendata\n' "$enc" "$port"
}

case "$cmd" in
start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$dir"
        if ! runuser -u postgres -- test -w "$dir"; then
            echo "pg-local: the postgres user cannot write $dir (a parent directory is not" \
                 "searchable by other users); set DATABASE_URL or move the checkout" >&2
            exit 1
        fi
    fi
    if [ ! -f "$data/PG_VERSION" ]; then
        as_pg "$PGBIN/initdb" -D "$data" -U postgres -E UTF8 --locale=C.UTF-8 \
            --auth=trust >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
        cat >>"$data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$dir'
port = $port
max_connections = 200
shared_buffers = 256MB
jit = off
fsync = on
synchronous_commit = off
log_min_messages = warning
EOF
    fi
    sed -i "s/^port = .*/port = $port/" "$data/postgresql.conf"
    if ! as_pg "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        as_pg "$PGBIN/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 60 start >/dev/null
    fi
    as_pg "$PGBIN/psql" -h "$dir" -p "$port" -U postgres -d postgres -qAtc \
        "SELECT 1 FROM pg_database WHERE datname = 'opendata'" | grep -q 1 ||
        as_pg "$PGBIN/createdb" -h "$dir" -p "$port" -U postgres opendata
    uri
    ;;
stop)
    [ -f "$data/PG_VERSION" ] && as_pg "$PGBIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
kill)
    as_pg "$PGBIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
    ;;
uri)
    uri
    ;;
*)
    echo "pg-local: unknown command $cmd" >&2
    exit 2
    ;;
esac
