#!/usr/bin/env bash
# The server working outside the checkout, installed two ways:
#   1. `make install DESTDIR=... PREFIX=/usr` from a copy of the tree; the copy removed, the
#      installed tree moved elsewhere; db init, the demo catalogue, serve.
#   2. (as root) the Debian package built by `dpkg-buildpackage -us -uc -b` from a copy of the
#      tree, installed with dpkg -i; db init and serve as the opendatad user, as its systemd
#      unit would; the unit checked by systemd-analyze; then purged, leaving the machine as found.
# Everything is built under build/install-test (removed at the end); the PostgreSQL cluster
# is a throwaway one (scripts/pg-local.sh). The last line is "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
VERSION=$(cat VERSION)
WORK=$ROOT/build/install-test
passed=0
failed=0
server_pid=""
pkg_installed=""

ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
check() { # check WHAT COMMAND...: ok when the command succeeds
    local what=$1
    shift
    if "$@" >"$WORK/check.out" 2>&1; then ok "$what"; else bad "$what"; tail -n 20 "$WORK/check.out"; fi
}

TMP=$(mktemp -d /tmp/opendata-install.XXXXXX)
chmod 755 "$TMP"
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    if [ -n "$pkg_installed" ]; then dpkg --purge opendatad >/dev/null 2>&1; fi
    scripts/pg-local.sh stop "$TMP/pg" >/dev/null 2>&1
    rm -rf "$TMP" "$WORK"
}
trap cleanup EXIT
rm -rf "$WORK"
mkdir -p "$WORK"

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# The tree as git sees it (committed or not, never build products), copied to $1.
copy_tree() {
    mkdir -p "$1"
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git ls-files -co --exclude-standard -z | tar --null -cf - -T - | tar -xf - -C "$1"
    else
        tar --exclude=./build --exclude=./bin --exclude=./var -cf - . | tar -xf - -C "$1"
    fi
}

# serve_and_check LABEL RUNAS PROGRAM ARGS...: start the server, wait for it, check
# status_show and a Taiwan endpoint, stop it.
serve_and_check() {
    local label=$1 runas=$2 prog=$3 port
    shift 3
    port=$(free_port)
    local -a pre=()
    # (setpriv execs the server: its pid is the one stopped below)
    [ -n "$runas" ] && pre=(setpriv --reuid="$runas" --regid="$runas" --init-groups)
    "${pre[@]}" "$prog" serve --listen "127.0.0.1:$port" --access-log false "$@" \
        >"$TMP/serve.log" 2>&1 &
    server_pid=$!
    local i up=""
    for i in $(seq 1 100); do
        if curl -fsS -o /dev/null "http://127.0.0.1:$port/api/3/action/status_show" 2>/dev/null; then
            up=1
            break
        fi
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.2
    done
    if [ -z "$up" ]; then
        bad "$label: serve answers"
        tail -n 20 "$TMP/serve.log"
    else
        ok "$label: serve answers"
        local status
        status=$(curl -fsS "http://127.0.0.1:$port/api/3/action/status_show")
        check "$label: status_show says success and version $VERSION" /usr/bin/python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["success"] is True and d["result"]["ckan_version"], d
assert sys.argv[2] in json.dumps(d["result"]), d["result"]' "$status" "$VERSION"
        local tw
        tw=$(curl -fsS "http://127.0.0.1:$port/api/v1/rest/dataset?limit=5")
        check "$label: Taiwan rest/dataset lists the demo datasets" /usr/bin/python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["success"] is True and len(d["result"]) == 5, d' "$tw"
    fi
    kill "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
    server_pid=""
}

# ---- the database ----------------------------------------------------------------------------
DB=$(scripts/pg-local.sh start "$TMP/pg" "$(free_port)" | tail -n 1)
if [ -z "$DB" ]; then
    bad "a throwaway PostgreSQL cluster"
    echo "$passed passed, $failed failed"
    exit 1
fi
newdb() { # a fresh database; prints its URI
    psql "$DB" -qAtX -c "CREATE DATABASE $1" >/dev/null && printf '%s\n' "${DB%/*}/$1"
}

# ---- 1. make install ---------------------------------------------------------------------------
echo "== make install DESTDIR=... PREFIX=/usr, from a copy of the tree"
copy_tree "$WORK/src"
if make -C "$WORK/src" -j2 install DESTDIR="$WORK/stage" PREFIX=/usr >"$WORK/make.log" 2>&1; then
    ok "make install"
else
    bad "make install"
    tail -n 30 "$WORK/make.log"
fi
rm -rf "$WORK/src"
# Moved: found relative to the program, with nothing of the copy left and no checkout beside it.
mkdir -p "$TMP/moved"
mv "$WORK/stage/usr" "$TMP/moved/usr"
I=$TMP/moved/usr
for f in bin/opendatad bin/opendata-import share/opendatad/sql/migrations share/opendatad/sql/functions \
         share/opendatad/schemas/tw-dataset-metadata.schema.json share/opendatad/demo/catalog.json \
         share/opendatad/opendatad.conf.example share/opendatad/opendatad.service; do
    check "installed: $f" test -e "$I/$f"
done
check "the unit runs the installed program" grep -q '^ExecStart=/usr/bin/opendatad serve' \
    "$I/share/opendatad/opendatad.service"
if [ -d /usr/share/opendatad ]; then
    echo "note: /usr/share/opendatad exists on this machine; the moved install could fall back to it"
fi
# None of the variables that used to be needed.
unset OPENDATAD_SQL_DIR OPENDATAD_SCHEMA_DIR OPENDATAD_WEB_DIR OPENDATAD_CONFIG DATABASE_URL
check "installed opendatad --version" bash -c "'$I/bin/opendatad' --version | grep -qx 'opendatad $VERSION'"
U1=$(newdb inst_make)
check "installed db init" "$I/bin/opendatad" db init --db "$U1"
check "installed db init again (idempotent)" "$I/bin/opendatad" db init --db "$U1"
check "installed opendata-import loads the installed demo catalogue" \
    "$I/bin/opendata-import" catalog "$I/share/opendatad/demo/catalog.json" --db "$U1"
serve_and_check "make install" "" "$I/bin/opendatad" --db "$U1" \
    --dump-dir "$TMP/dumps" --upload-dir "$TMP/uploads" --config "$I/share/opendatad/opendatad.conf.example"
check "the upload folder given was used" test -d "$TMP/uploads/resources"

# ---- 2. the Debian package ---------------------------------------------------------------------
echo "== the Debian package (dpkg-buildpackage -us -uc -b, dpkg -i, purge)"
if [ "$(id -u)" != 0 ]; then
    echo "skipped: installing a package needs root (make test runs as root in CI)"
elif dpkg -s opendatad >/dev/null 2>&1 || [ -e /usr/bin/opendatad ] || getent passwd opendatad >/dev/null; then
    echo "skipped: opendatad is installed on this machine already; not touching it"
    bad "the Debian package test could not run (opendatad already installed)"
elif ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null; then
    bad "dpkg-buildpackage and debhelper installed (make deps-test)"
else
    copy_tree "$WORK/deb/opendatad-$VERSION"
    if (cd "$WORK/deb/opendatad-$VERSION" && dpkg-buildpackage -us -uc -b -j2) >"$WORK/deb.log" 2>&1; then
        ok "dpkg-buildpackage"
    else
        bad "dpkg-buildpackage"
        tail -n 40 "$WORK/deb.log"
    fi
    DEB=$(ls "$WORK"/deb/opendatad_"$VERSION"_*.deb 2>/dev/null | head -n 1)
    check "the package's version is VERSION's" test -n "$DEB"
    check "the .deb holds the programs, SQL, unit, guide and conffile" bash -c "
        dpkg-deb -c '$DEB' | grep -q ' ./usr/bin/opendatad\$' &&
        dpkg-deb -c '$DEB' | grep -q ' ./lib/systemd/system/opendatad.service\$' &&
        dpkg-deb -c '$DEB' | grep -q ' ./usr/share/opendatad/sql/migrations/' &&
        dpkg-deb -c '$DEB' | grep -q ' ./usr/share/doc/opendatad/DEPLOY.md\$' &&
        dpkg-deb -I '$DEB' conffiles | grep -qx /etc/opendatad/opendatad.conf"
    if [ -n "$DEB" ] && dpkg -i "$DEB" >"$WORK/dpkg.log" 2>&1; then
        pkg_installed=1
        ok "dpkg -i"
    else
        bad "dpkg -i"
        tail -n 20 "$WORK/dpkg.log"
    fi
    if [ -n "$pkg_installed" ]; then
        check "/usr/bin/opendatad --version" bash -c "/usr/bin/opendatad --version | grep -qx 'opendatad $VERSION'"
        check "the opendatad system user" bash -c "getent passwd opendatad | grep -q ':/var/lib/opendatad:'"
        check "/var/lib/opendatad belongs to it" bash -c \
            "[ \"\$(stat -c %U:%G /var/lib/opendatad/uploads)\" = opendatad:opendatad ]"
        check "the conffile is readable by root and the opendatad group only" bash -c \
            "[ \"\$(stat -c %U:%G:%a /etc/opendatad/opendatad.conf)\" = root:opendatad:640 ]"
        check "systemd-analyze verify opendatad.service" systemd-analyze verify \
            /lib/systemd/system/opendatad.service
        check "systemd-analyze security: exposure 2.0 or lower" systemd-analyze security \
            --offline=yes --threshold=20 /lib/systemd/system/opendatad.service
        U2=$(newdb inst_deb)
        # As the unit runs it: the opendatad user, the shipped config, the default folders.
        check "packaged db init as the opendatad user" runuser -u opendatad -- \
            /usr/bin/opendatad db init --config /etc/opendatad/opendatad.conf --db "$U2"
        check "packaged opendata-import loads the demo catalogue" runuser -u opendatad -- \
            /usr/bin/opendata-import catalog /usr/share/opendatad/demo/catalog.json --db "$U2"
        serve_and_check "Debian package" opendatad /usr/bin/opendatad \
            --config /etc/opendatad/opendatad.conf --db "$U2"
        check "the server made its upload folder under /var/lib/opendatad" \
            test -d /var/lib/opendatad/uploads/resources
        if dpkg --purge opendatad >"$WORK/dpkg.log" 2>&1; then
            pkg_installed=""
            ok "dpkg --purge"
        else
            bad "dpkg --purge"
            tail -n 20 "$WORK/dpkg.log"
        fi
        check "purged: nothing left (programs, files, user, state, config)" bash -c '
            ! [ -e /usr/bin/opendatad ] && ! [ -e /usr/share/opendatad ] &&
            ! [ -e /var/lib/opendatad ] && ! [ -e /etc/opendatad ] &&
            ! getent passwd opendatad >/dev/null && ! getent group opendatad >/dev/null &&
            ! dpkg -s opendatad >/dev/null 2>&1'
    fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
