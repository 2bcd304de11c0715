#!/usr/bin/env bash
# docker-compose.yml and the Dockerfile as a container engine would take them, checked without
# one: the compose file validated by `docker compose config` or Debian's docker-compose (make
# deps-test installs it); the services, health checks, volumes and build wired as README says;
# every file the Dockerfile and the entrypoint use is in the tree. "N passed, N failed" last;
# only with no validator at all is the validation skipped, and it says so.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

out=$(mktemp)
trap 'rm -f "$out"' EXIT
if docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
elif command -v docker-compose >/dev/null; then
    compose=(docker-compose)
else
    compose=()
    echo "skipped: no compose validator (docker compose or docker-compose) could be installed"
fi
if [ ${#compose[@]} -gt 0 ]; then
    if "${compose[@]}" -f docker-compose.yml config >"$out" 2>&1; then
        ok "${compose[*]} config"
        /usr/bin/python3 - "$out" <<'PY' && ok "services, health checks, volumes" || bad "services, health checks, volumes"
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
s = c["services"]
db, od = s["db"], s["opendatad"]
assert "postgres" in db["image"], db
assert "pg_isready" in " ".join(db["healthcheck"]["test"]), db
assert any("/var/lib/postgresql/data" in str(v) for v in db["volumes"]), db
assert od["depends_on"]["db"]["condition"] == "service_healthy", od
assert "status_show" in " ".join(od["healthcheck"]["test"]), od
assert od["build"]["context"], od
assert od["environment"]["DATABASE_URL"].endswith("@db:5432/opendata"), od
mounts = " ".join(str(v) for v in od["volumes"])
assert "/var/lib/opendatad/cache" in mounts and "/var/lib/opendatad/uploads" in mounts, mounts
assert {"pgdata", "dumps", "uploads"} <= set(c["volumes"]), c["volumes"]
PY
    else
        bad "${compose[*]} config"
        cat "$out"
    fi
fi
# What the image build copies and runs exists, and the stages are Debian 12's.
grep -q '^FROM debian:12 AS build' Dockerfile && grep -q '^FROM debian:12-slim' Dockerfile &&
    ok "Dockerfile: Debian 12 build and run stages" || bad "Dockerfile: Debian 12 build and run stages"
for f in scripts/demo-load.sh docker/entrypoint.sh docs/demo/catalog.json; do
    [ -f "$f" ] && ok "$f exists" || bad "$f missing"
done
sh -n docker/entrypoint.sh && bash -n scripts/demo-load.sh && ok "entrypoint scripts parse" ||
    bad "entrypoint scripts parse"
[ -x docker/entrypoint.sh ] && [ -x scripts/demo-load.sh ] && ok "entrypoint scripts executable" ||
    bad "entrypoint scripts executable"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
