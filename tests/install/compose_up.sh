#!/usr/bin/env bash
# docker-compose.yml run for real, where a container engine works (not part of `make test`: CI
# machines have none). Builds the image from this tree, starts the stack, waits for both health
# checks, checks status_show, the Taiwan API on the demo catalogue and a dump zip landing in the
# dump-cache volume, restarts opendatad (the demo is not loaded twice, the data stays), then
# removes everything it made (containers, volumes). "N passed, N failed" last.
#
# Traffic stays on loopback: both services use the host's network with free ports, PostgreSQL
# listening on 127.0.0.1 only (a local override of the shipped file, which uses a compose
# network and publishes 127.0.0.1:5000). Needs the images debian:12, debian:12-slim and
# postgres:15-bookworm, pulled or present, and `docker compose` or docker-compose.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
if docker compose version >/dev/null 2>&1; then compose=(docker compose); else compose=(docker-compose); fi
free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
PGP=$(free_port)
HP=$(free_port)
PROJECT=opendatad-compose-test
tmp=$(mktemp -d)
dc() { "${compose[@]}" -p "$PROJECT" -f "$tmp/local.yml" "$@"; }
cleanup() { dc down -v >/dev/null 2>&1; rm -rf "$tmp"; }
trap cleanup EXIT

# The shipped file, merged and changed for loopback only.
"${compose[@]}" -f docker-compose.yml config >"$tmp/merged.yml" || { bad "compose config"; exit 1; }
/usr/bin/python3 - "$tmp/merged.yml" "$tmp/local.yml" "$PGP" "$HP" "$ROOT" <<'PY'
import sys, yaml
src, dst, pgp, hp, root = sys.argv[1:]
c = yaml.safe_load(open(src))
db, od = c["services"]["db"], c["services"]["opendatad"]
db["network_mode"] = od["network_mode"] = "host"
db["command"] = ["postgres", "-c", "listen_addresses=127.0.0.1", "-c", f"port={pgp}"]
db["healthcheck"]["test"] = ["CMD-SHELL", f"pg_isready -h 127.0.0.1 -p {pgp} -U opendatad -d opendata"]
od.pop("ports", None)
od["build"] = {"context": root, "network": "host"}
env = od["environment"]
env["DATABASE_URL"] = env["DATABASE_URL"].replace("@db:5432/", f"@127.0.0.1:{pgp}/")
env["OPENDATAD_LISTEN"] = f"127.0.0.1:{hp}"
env["OPENDATAD_SITE_URL"] = f"http://127.0.0.1:{hp}"
od["healthcheck"]["test"] = [t.replace("127.0.0.1:5000", f"127.0.0.1:{hp}") for t in od["healthcheck"]["test"]]
yaml.safe_dump(c, open(dst, "w"))
PY

if dc build opendatad >"$tmp/build.log" 2>&1; then ok "image built from the tree"; else
    bad "image built from the tree"; tail -n 30 "$tmp/build.log"; exit 1; fi
dc up -d >"$tmp/up.log" 2>&1 || { bad "compose up"; cat "$tmp/up.log"; exit 1; }

healthy() { # healthy SERVICE: waits up to 4 minutes for its health check to pass
    local id i
    id=$(dc ps -q "$1")
    for i in $(seq 1 240); do
        [ "$(docker inspect -f '{{.State.Health.Status}}' "$id" 2>/dev/null)" = healthy ] && return 0
        sleep 1
    done
    return 1
}
healthy db && ok "db healthy" || bad "db healthy"
healthy opendatad && ok "opendatad healthy (db init, demo loaded, serving)" ||
    { bad "opendatad healthy"; dc logs --tail=30 opendatad; }
base=http://127.0.0.1:$HP
curl -fsS "$base/api/3/action/status_show" | grep -q "\"opendatad_version\" : \"$(cat VERSION)\"" &&
    ok "status_show" || bad "status_show"
n=$(curl -fsS "$base/api/v1/rest/dataset?limit=1000" | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["result"]))')
[ "$n" = 39 ] && ok "the demo catalogue: 39 datasets" || bad "the demo catalogue: $n datasets"
curl -fsS -o /dev/null "$base/api/v1/dump/datastore/355000000I-000207-001?format=csv" &&
    dc exec -T opendatad sh -c 'ls /var/lib/opendatad/cache/dumps/*.zip' >/dev/null &&
    ok "a dump zip in the dump-cache volume" || bad "a dump zip in the dump-cache volume"
dc restart opendatad >/dev/null 2>&1
healthy opendatad && ok "healthy again after a restart" || bad "healthy again after a restart"
loads=$(dc logs opendatad 2>&1 | grep -c "loading the demo catalogue")
[ "$loads" = 1 ] && ok "demo loaded on the first start only" || bad "demo loaded $loads times"
n=$(curl -fsS "$base/api/v1/rest/dataset?limit=1000" | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["result"]))')
[ "$n" = 39 ] && ok "the data kept across the restart" || bad "after the restart: $n datasets"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
