"""opendatad behind a real PgBouncer (Debian's), in session and in transaction mode.

One PgBouncer in front of the suite's cluster, with two entries for one database: `sess`
(pool_mode=session, a pool as large as the server's connections: a session keeps its server
connection) and `tx` (pool_mode=transaction) with a pool of 2 server connections, so the
server's up to 16 client connections share them. `--db-pooler transaction` sends every
statement unnamed (no prepared statement can outlive a transaction there) and no startup
options; `--db-direct` takes the jobs that hold a session (loads, dump builds) to PostgreSQL
itself. The database's own time zone is set to Asia/Taipei: no answer may depend on it (the
server's SQL names the zones it means; behind a pooler, where no startup options go out, libpq's
PGTZ also puts the sessions in UTC, a startup parameter PgBouncer keeps).

Every answer through the pooler is compared with the same request answered by a server that
talks to PostgreSQL directly.
"""
import concurrent.futures
import datetime
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse

import pytest
import requests

from conftest import (BIN, DEMO_CATALOG, Server, add_user, free_port, new_database)

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
pytestmark = pytest.mark.skipif(not os.path.exists(PGBOUNCER),
                                reason="pgbouncer is not installed (make deps-test installs it)")


class Bouncer:
    """pgbouncer on a free port in a temporary directory (as the postgres user when root)."""

    def __init__(self, cluster, dbname, pool_size=2):
        self.dir = tempfile.mkdtemp(prefix="opendata-pgb-")
        os.chmod(self.dir, 0o777)
        self.port = free_port()
        host = urllib.parse.unquote(cluster.uri.split("@", 1)[1].rsplit(":", 1)[0])
        target = f"host={host} port={cluster.port} dbname={dbname} user=postgres"
        ini = os.path.join(self.dir, "pgbouncer.ini")
        with open(ini, "w") as f:
            f.write(f"""[databases]
sess = {target} pool_mode=session pool_size=40
tx = {target} pool_mode=transaction

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = any
default_pool_size = {pool_size}
max_client_conn = 500
logfile = {self.dir}/pgbouncer.log
pidfile = {self.dir}/pgbouncer.pid
""")
        os.chmod(ini, 0o644)
        user = ["-u", "postgres"] if os.geteuid() == 0 else []
        subprocess.run([PGBOUNCER, "-d", *user, ini], check=True, capture_output=True)
        for _ in range(100):
            if os.path.exists(os.path.join(self.dir, "pgbouncer.pid")):
                break
            time.sleep(0.05)

    def url(self, entry):
        return f"postgresql://postgres@127.0.0.1:{self.port}/{entry}"

    def log(self):
        with open(os.path.join(self.dir, "pgbouncer.log"), errors="replace") as f:
            return f.read()

    def stop(self):
        try:
            with open(os.path.join(self.dir, "pgbouncer.pid")) as f:
                os.kill(int(f.read().strip()), 15)
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def setup(cluster):
    db = new_database(cluster, DEMO_CATALOG)
    dbname = db.rsplit("/", 1)[1]
    cluster.psql(f"ALTER DATABASE {dbname} SET TimeZone = 'Asia/Taipei'")
    token = add_user(db, "sam", "--sysadmin")
    bouncer = Bouncer(cluster, dbname)
    direct = Server(db)
    servers = {
        "transaction": Server(bouncer.url("tx"), "--db-pooler", "transaction", "--db-direct", db),
        "session": Server(bouncer.url("sess"), "--db-pooler", "session"),
    }
    yield db, token, bouncer, direct, servers
    for s in servers.values():
        s.stop()
    direct.stop()
    bouncer.stop()


def post(srv, token, action, **data):
    r = requests.post(f"{srv.base}/api/3/action/{action}", json=data,
                      headers={"Authorization": token}, timeout=60)
    assert r.status_code == 200, (action, r.text[:500])
    return r.json()["result"]


def read_paths(direct, rid):
    """Reads of every kind: registered statements, generated SQL of several shapes."""
    names = direct.get("/api/3/action/package_list").json()["result"][:12]
    ids = direct.get("/api/v1/rest/dataset").json()["result"][:12]
    paths = [f"/api/3/action/package_show?id={n}" for n in names]
    paths += [f"/api/v1/rest/dataset/{i}" for i in ids]
    paths += ["/api/3/action/package_search?q=%E8%B3%87%E6%96%99&facet.field=[%22organization%22]",
              "/api/3/action/package_search?rows=5&sort=name%20asc",
              "/api/3/action/package_search?fq=res_format:CSV",
              "/api/3/action/organization_list?all_fields=true", "/api/v1/rest/group",
              "/api/3/action/tag_list", "/api/v1/rest/tag"]
    for f in ({"district": "d1"}, {"district": "d2"}, {"n": 3}, {"district": ["d1", "d3"]}):
        paths.append(f"/api/3/action/datastore_search?resource_id={rid}&filters="
                     + urllib.parse.quote(json.dumps(f)) + "&sort=n%20desc")
    paths += [f"/api/3/action/datastore_search?resource_id={rid}&q=d2&limit=3",
              f"/api/v1/rest/datastore/{rid}?limit=4&sort=n%20desc",
              f"/api/v1/rest/datastore/{rid}?filters=" + urllib.parse.quote('{"district":"d3"}'),
              # big pages: streamed, their rows by COPY
              f"/api/3/action/datastore_search?resource_id={rid}&limit=1000",
              f"/api/3/action/datastore_search?resource_id={rid}&limit=5000&records_format=lists"
              "&filters=" + urllib.parse.quote('{"district":"d1"}')]
    return paths


@pytest.fixture(scope="module")
def loaded(setup):
    db, token, bouncer, direct, servers = setup
    made = post(servers["transaction"], token, "datastore_create",
                resource={"package_id": direct.get("/api/3/action/package_list").json()["result"][0],
                   "name": "through the pooler"},
         fields=[{"id": "district", "type": "text"}, {"id": "n", "type": "int"}],
         primary_key="n")
    records = [{"district": f"d{i % 4}", "n": i} for i in range(200)]
    rid = made["resource_id"]
    post(servers["transaction"], token, "datastore_upsert", resource_id=rid, records=records,
         method="insert")
    return (*setup, rid)


@pytest.mark.parametrize("mode", ["transaction", "session"])
def test_concurrent_reads_answer_as_the_direct_server(loaded, mode):
    db, token, bouncer, direct, servers, rid = loaded
    srv = servers[mode]
    paths = read_paths(direct, rid)
    want = {p: direct.get(p).content for p in paths}
    failing = [(p, b[:200]) for p, b in want.items() if not json.loads(b)["success"]]
    assert not failing, failing
    work = [paths[i % len(paths)] for i in range(len(paths) * 8)]
    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        got = list(ex.map(lambda p: (p, srv.get(p)), work))
    bad = [(p, r.status_code, r.text[:200]) for p, r in got if r.content != want[p]]
    assert not bad, bad[:3]
    assert "prepared statement" not in srv.log_text()


@pytest.mark.parametrize("mode", ["transaction", "session"])
def test_writes_are_read_back_at_once_and_stored_in_utc(loaded, mode):
    db, token, bouncer, direct, servers, rid = loaded
    srv = servers[mode]
    org = direct.get("/api/3/action/organization_list").json()["result"][0]
    before = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    name = f"through-{mode}"
    made = post(srv, token, "package_create", name=name, title="經由連線池", owner_org=org,
                tags=[{"name": "pooler"}])
    post(srv, token, "package_patch", id=made["id"], notes="patched")
    for s in (srv, direct):
        shown = s.get(f"/api/3/action/package_show?id={name}").json()["result"]
        assert shown["notes"] == "patched" and shown["title"] == "經由連線池"
    # UTC whatever the database's own time zone (Asia/Taipei here: 8 h ahead)
    modified = datetime.datetime.fromisoformat(shown["metadata_modified"])
    assert abs((modified - before).total_seconds()) < 600, (modified, before)
    found = srv.get("/api/3/action/package_search?fq=tags:pooler&rows=10").json()["result"]
    assert name in [d["name"] for d in found["results"]]
    ident = shown.get("identifier") or next(e["value"] for e in shown["extras"]
                                            if e["key"] == "identifier")
    assert srv.get(f"/api/v1/rest/dataset/{ident}").json()["result"]["title"] == "經由連線池"


def test_dumps_are_built_through_the_direct_connection(loaded):
    db, token, bouncer, direct, servers, rid = loaded
    srv = servers["transaction"]
    r = srv.get(f"/datastore/dump/{rid}?format=csv")
    assert r.status_code == 200 and r.text.count("\n") == 201, r.text[:300]
    assert r.content == direct.get(f"/datastore/dump/{rid}?format=csv").content
    z = srv.get(f"/api/v1/dump/datastore/{rid}?format=csv")
    assert z.status_code == 200 and z.content[:2] == b"PK"


def test_the_pooler_was_in_the_way(loaded):
    """The servers' connections really went through PgBouncer, which multiplexed them."""
    db, token, bouncer, direct, servers, rid = loaded
    log = bouncer.log()
    assert "tx/postgres@" in log and "sess/postgres@" in log
    assert "unsupported startup parameter" not in log


def test_an_unknown_pooler_mode_is_refused(setup):
    db = setup[0]
    p = subprocess.run([os.path.join(BIN, "opendatad"), "serve", "--db", db,
                        "--db-pooler", "statement", "--listen", f"127.0.0.1:{free_port()}"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "--db-pooler must be none, session or transaction" in p.stderr
