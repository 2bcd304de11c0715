"""Shared fixtures: a throwaway PostgreSQL cluster, fresh databases, the real server.

Everything runs against real PostgreSQL (scripts/pg-local.sh) and the real bin/ programs.
Set OPENDATA_TEST_BASE_URL to run the HTTP tests against an already running server instead,
and OPENDATA_TEST_UPGRADED=1 to run them on databases made with the schema of 2026-12-05
(tests/fixtures/schema-2026-12-05) and then upgraded by `opendatad db init`.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import psycopg2
import pytest
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# OPENDATA_BIN: the programs under test (make test's second pass: the sanitized build).
BIN = os.environ.get("OPENDATA_BIN") or os.path.join(ROOT, "bin")
SANITIZED = bool(os.environ.get("OPENDATA_SANITIZED"))
# Tests that measure the server's memory: under AddressSanitizer its shadow memory and
# quarantine make RSS figures meaningless (the normal pass runs them).
measures_memory = pytest.mark.skipif(SANITIZED, reason="RSS is not meaningful under ASan")
PG_LOCAL = os.path.join(ROOT, "scripts", "pg-local.sh")
SCHEMAS = os.path.join(ROOT, "schemas")
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
DEMO_CATALOG = os.path.join(ROOT, "docs", "demo", "catalog.json")
# The schema as main had it on 2026-12-05, before sql/ was split into migrations and functions.
FROZEN_SCHEMA = os.path.join(FIXTURES, "schema-2026-12-05")
UPGRADED = bool(os.environ.get("OPENDATA_TEST_UPGRADED"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A PostgreSQL cluster in a temporary directory, removed at the end."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="opendata-pg-")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.uri = self._run("start").strip().splitlines()[-1]

    def _run(self, cmd):
        return subprocess.run([PG_LOCAL, cmd, self.dir, str(self.port)], check=True,
                              capture_output=True, text=True).stdout

    def url(self, dbname):
        return self.uri.rsplit("/", 1)[0] + "/" + dbname

    def psql(self, sql, dbname="postgres"):
        return subprocess.run(["psql", self.url(dbname), "-qAtX", "-v", "ON_ERROR_STOP=1",
                               "-c", sql], check=True, capture_output=True, text=True).stdout

    def start(self):
        self._run("start")

    def kill(self):
        self._run("kill")

    def stop(self):
        self._run("stop")

    def remove(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def init_frozen_schema(url, below=None):
    """Apply tests/fixtures/schema-2026-12-05 (only the files sorting before `below` when given)
    as that day's `opendatad db init` did: each file in its own transaction, recorded by name
    in schema_migrations."""
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SET client_min_messages = warning; CREATE TABLE IF NOT EXISTS "
                        "schema_migrations (version text PRIMARY KEY, "
                        "applied_at timestamptz NOT NULL DEFAULT now())")
        for name in sorted(os.listdir(FROZEN_SCHEMA)):
            if not name.endswith(".sql") or (below and name >= below):
                continue
            with open(os.path.join(FROZEN_SCHEMA, name), encoding="utf-8") as f:
                sql = f.read()
            with conn, conn.cursor() as cur:
                cur.execute(sql)
                cur.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (name[:-4],))
    finally:
        conn.close()


def db_init(url, check=True):
    """`opendatad db init` on the database at url."""
    return subprocess.run([os.path.join(BIN, "opendatad"), "db", "init", "--db", url],
                          check=check, capture_output=True, text=True)


@pytest.fixture(scope="session")
def cluster():
    c = Cluster()
    url = c.url("opendata_template")
    c.psql("CREATE DATABASE opendata_template")
    if UPGRADED:
        init_frozen_schema(url)
    db_init(url)
    yield c
    c.remove()


def new_database(cluster, catalog=None):
    """A fresh migrated database (from the template), optionally loaded with a catalogue."""
    name = "t_" + uuid.uuid4().hex[:12]
    cluster.psql(f"CREATE DATABASE {name} TEMPLATE opendata_template")
    url = cluster.url(name)
    if catalog:
        run_import(url, "catalog", catalog, check=True)
    return url


def run_import(url, *args, check=False):
    p = subprocess.run([os.path.join(BIN, "opendata-import"), *args, "--db", url],
                       capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"import failed ({p.returncode}): {p.stderr}")
    return p


def db_value(url, query, *args):
    """The first column of the first row of a query on the database at url."""
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(query, args)
        return cur.fetchone()[0]



def add_user(db, *args):
    """`opendatad user add ARGS` on db: the new user's API token."""
    p = subprocess.run([os.path.join(BIN, "opendatad"), "user", "add", *args, "--db", db],
                       check=True, capture_output=True, text=True)
    return p.stdout.strip().splitlines()[-1]


class WriteSite:
    """A server on a database of its own, with API tokens by user name: actions posted as one
    of them (CKAN's answers checked), and the database read directly. Suites of writes
    subclass it with what a failed write must leave as it was."""

    def __init__(self, srv, db, tokens):
        self.srv, self.db, self.tokens = srv, db, tokens

    # the caller comes positionally: the action's own data may hold "user"
    def post(self, action, user=None, /, **data):
        token = self.tokens.get(user) if user else None
        headers = {"Authorization": token} if token else {}
        return requests.post(f"{self.srv.base}/api/3/action/{action}", json=data,
                             headers=headers, timeout=60)

    def ok(self, action, user=None, /, **data):
        r = self.post(action, user, **data)
        assert r.status_code == 200, (action, r.text)
        assert r.json()["success"] is True
        return r.json()["result"]

    def error(self, action, user=None, /, status=409, **data):
        r = self.post(action, user, **data)
        assert r.status_code == status, r.text
        assert r.json()["success"] is False
        return r.json()["error"]

    def sql(self, query, *args):
        with psycopg2.connect(self.db) as conn, conn.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchall() if cur.description else None

    def one(self, query, *args):
        return self.sql(query, *args)[0][0]

class RawBodySite:
    """A server on the demo catalogue, for DataStore writes whose bodies are sent as text (as
    the client wrote them), by a sysadmin: tables made on one dataset as needed, their rows read
    directly. The raw-records suites post each body twice, plainly and with a key escaped."""

    DATASET = "382000000a-000101"

    def __init__(self, cluster):
        self.db = new_database(cluster, DEMO_CATALOG)
        self.token = add_user(self.db, "sam", "--sysadmin")
        self.srv = Server(self.db)
        self.n = 0

    def post(self, action, body):
        return requests.post(f"{self.srv.base}/api/3/action/{action}",
                             data=body.encode("utf-8"), timeout=60,
                             headers={"Authorization": self.token,
                                      "Content-Type": "application/json"})

    def resource(self, prefix):
        """A new datastore resource of DATASET (no table yet): its id."""
        self.n += 1
        rid = f"{prefix}-{self.n}"
        with psycopg2.connect(self.db) as conn, conn.cursor() as cur:
            cur.execute("""INSERT INTO resource (id, package_id, position, name, url_type)
                           SELECT %s, id, 100 + %s, %s, 'datastore' FROM package
                           WHERE name = %s""", (rid, self.n, rid, self.DATASET))
        return rid

    def table(self, prefix, fields, primary_key=None):
        """A new resource with a DataStore table of those fields: its id."""
        rid = self.resource(prefix)
        body = {"resource_id": rid, "fields": fields}
        if primary_key:
            body["primary_key"] = primary_key
        r = self.post("datastore_create", json.dumps(body))
        assert r.status_code == 200, r.text
        return rid

    def rows(self, rid, order='"_id"', without_id=False):
        """The table's rows as JSON objects (the alias is no field's name)."""
        drop = " - '_id'" if without_id else ""
        with psycopg2.connect(self.db) as conn, conn.cursor() as cur:
            cur.execute(f'SELECT to_jsonb(row_){drop} FROM datastore."{rid}" row_ '
                        f'ORDER BY {order}')
            return [r[0] for r in cur.fetchall()]


@pytest.fixture(scope="module")
def raw_site(cluster):
    site = RawBodySite(cluster)
    yield site
    site.srv.stop()


class Server:
    """bin/opendatad serve on a free port, with its stderr (access log) in a file."""

    def __init__(self, db_url, *extra, threads=2):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = tempfile.mktemp(prefix="opendatad-", suffix=".log")
        self.log = open(self.log_path, "w")
        # one site URL for every test server unless told otherwise, so that answers of
        # servers on different ports (help links) can be compared byte for byte
        site = () if "--site-url" in extra else ("--site-url", "http://127.0.0.1:5000")
        self.proc = subprocess.Popen(
            [os.path.join(BIN, "opendatad"), "serve", "--db", db_url,
             "--listen", f"127.0.0.1:{self.port}", "--threads", str(threads), *site, *extra],
            stdout=self.log, stderr=subprocess.STDOUT)
        self._wait_ready()

    def _wait_ready(self):
        for _ in range(200):
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited: {self.log_text()}")
            try:
                requests.get(self.base + "/api/3/action/status_show", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.05)
        raise AssertionError("server did not start")

    def get(self, path, **kw):
        kw.setdefault("timeout", 10)
        return requests.get(self.base + path, **kw)

    def log_text(self):
        self.log.flush()
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


class ExternalServer:
    def __init__(self, base):
        self.base = base.rstrip("/")

    def get(self, path, **kw):
        kw.setdefault("timeout", 10)
        return requests.get(self.base + path, **kw)


@pytest.fixture(scope="session")
def demo_db(cluster):
    return new_database(cluster, DEMO_CATALOG)


@pytest.fixture(scope="session")
def server(demo_db):
    """The server on the demo catalogue plus the real data.gov.tw record."""
    external = os.environ.get("OPENDATA_TEST_BASE_URL")
    if external:
        yield ExternalServer(external)
        return
    run_import(demo_db, "catalog",
               os.path.join(FIXTURES, "datagovtw_v1_rest_dataset_A41000000G-000001.json"),
               check=True)
    s = Server(demo_db)
    yield s
    s.stop()


def load_schema(name):
    with open(os.path.join(SCHEMAS, name), encoding="utf-8") as f:
        return json.load(f)


def validate(body, schema_name):
    import jsonschema
    jsonschema.validate(body, load_schema(schema_name))
